package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.aws.SecretsManagerSecretStore;
import io.github.rotate4j.rotation.IssuedKey;
import io.github.rotate4j.rotation.KeyIssuer;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationSchedule;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.rotation.SecretStore;
import io.github.rotate4j.rotation.UsageProbe;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyClient;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyIssuer;
import io.github.rotate4j.samples.rotationjob.demo.FileSecretStore;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import io.github.rotate4j.samples.rotationjob.inventory.IssuerSpec;
import io.github.rotate4j.samples.rotationjob.inventory.StoreSpec;
import io.github.rotate4j.testing.InMemorySecretStore;
import io.github.rotate4j.vault.VaultAuth;
import io.github.rotate4j.vault.VaultKvSecretStore;
import io.github.rotate4j.vault.VaultSession;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;

/** Stores and issuers as the inventory describes them; credentials from the environment. */
class LiveBackends implements Backends {

  private final Map<String, String> env;
  private final Map<String, InMemorySecretStore> inMemory = new ConcurrentHashMap<>();
  private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();

  LiveBackends(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public Rotator rotator(Inventory inventory, InventoryEntry entry, Clock clock) {
    DemoKeyIssuer issuer = issuer(entry);
    return rotator(store(entry), issuer, issuer.verifier(), inventory, entry, clock);
  }

  /**
   * The rotator of an entry on a store and issuer: the entry's grace window, schedule and
   * distribution delay; the old key revoked only when the issuer has not seen it for {@code unusedFor}.
   */
  static Rotator rotator(SecretStore store, KeyIssuer issuer, KeyVerifier verifier, Inventory inventory,
      InventoryEntry entry, Clock clock) {
    return Rotator.builder(store, issuer)
        .verifier(verifier)
        .usageProbe(UsageProbe.issuerLastUse(issuer, entry.unusedFor()))
        .gracePeriod(entry.gracePeriod())
        .distributionDelay(entry.distributionDelay())
        .schedule(RotationSchedule.every(entry.rotationFrequency()))
        .overdueAfter(inventory.overdueAfter())
        .clock(clock)
        .build();
  }

  @Override
  public boolean initialize(InventoryEntry entry, Clock clock) {
    if (!(entry.store() instanceof StoreSpec.File f)) {
      throw new UnsupportedOperationException("'" + entry.name() + "': write the first key into " + entry.store().describe()
          + " with that store's own tools; 'init' writes only file stores");
    }
    DemoKeyIssuer issuer = issuer(entry);
    return new FileSecretStore(f.file()).initialize(() -> {
      IssuedKey first = issuer.issue("init-" + UUID.randomUUID());
      return first.value();
    }, clock.instant());
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    for (AutoCloseable c : opened) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("could not close " + c + ": " + Messages.of(e), e);
        }
      }
    }
    opened.clear();
    if (failure != null) {
      throw failure;
    }
  }

  private String requiredEnv(InventoryEntry entry, String name, String setting) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("'" + entry.name() + "': environment variable " + name + " (" + setting + ") is not set");
    }
    return value;
  }

  private <T extends AutoCloseable> T opened(T closeable) {
    opened.add(closeable);
    return closeable;
  }

  SecretStore store(InventoryEntry entry) {
    StoreSpec spec = entry.store();
    if (spec instanceof StoreSpec.File f) {
      return new FileSecretStore(f.file());
    }
    if (spec instanceof StoreSpec.VaultKv v) {
      String address = v.address().map(URI::toString).orElseGet(() -> env.get("VAULT_ADDR"));
      if (address == null || address.isBlank()) {
        throw new IllegalStateException("'" + entry.name() + "': no Vault address: set store address in the inventory or VAULT_ADDR");
      }
      String token = requiredEnv(entry, v.tokenEnv(), "store tokenEnv");
      VaultSession session = opened(VaultSession.builder().address(address).auth(VaultAuth.token(token)).build());
      return VaultKvSecretStore.of(session, v.mount(), v.path(), v.field());
    }
    if (spec instanceof StoreSpec.Aws a) {
      SecretsManagerClientBuilder b = SecretsManagerClient.builder().httpClient(UrlConnectionHttpClient.create());
      a.region().or(() -> Optional.ofNullable(env.get("AWS_REGION"))).ifPresent(r -> b.region(Region.of(r)));
      a.endpoint().ifPresent(b::endpointOverride);
      String keyId = env.get("AWS_ACCESS_KEY_ID");
      String secretKey = env.get("AWS_SECRET_ACCESS_KEY");
      if (keyId != null && secretKey != null) {
        String session = env.get("AWS_SESSION_TOKEN");
        b.credentialsProvider(StaticCredentialsProvider.create(session == null
            ? AwsBasicCredentials.create(keyId, secretKey) : AwsSessionCredentials.create(keyId, secretKey, session)));
      } else {
        b.credentialsProvider(DefaultCredentialsProvider.builder().build());
      }
      return SecretsManagerSecretStore.of(opened(b.build()), a.secretId());
    }
    if (spec instanceof StoreSpec.InMemory m) {
      // lives as long as this process: one run of the job
      return inMemory.computeIfAbsent(m.path(), p -> InMemorySecretStore.create(p,
          issuer(entry).issue("init-" + UUID.randomUUID()).value(), Instant.now()));
    }
    throw new UnsupportedOperationException("'" + entry.name() + "': store type of " + spec.describe()
        + " is not available in this build");
  }

  DemoKeyIssuer issuer(InventoryEntry entry) {
    IssuerSpec.Demo demo = (IssuerSpec.Demo) entry.issuer();
    Optional<String> token = demo.adminTokenEnv().map(name -> requiredEnv(entry, name, "issuer adminTokenEnv"));
    return new DemoKeyIssuer(new DemoKeyClient(demo.url(), token, Duration.ofSeconds(10)), demo.account());
  }
}
