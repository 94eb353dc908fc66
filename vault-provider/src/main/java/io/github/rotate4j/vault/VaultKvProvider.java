package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a secret from a KV version 2 engine: the current version as a key/value map, its version
 * number as the credential version, the secret's {@code custom_metadata} as credential metadata,
 * and version n-1 as the previous key while it is neither deleted nor destroyed.
 *
 * <pre>{@code
 * CredentialProvider apiKey = VaultKvProvider.of(vault, "secret", "payments/api-key");
 * RotatingCredential cred = RotatingCredential.builder("payments-api-key", apiKey).build().start();
 * }</pre>
 *
 * <p>A {@code next_rotation} entry in {@code custom_metadata}, as an ISO-8601 instant, becomes
 * {@link Credential#nextRotation()}, from which the engine reports an overdue secret.
 *
 * <p>Polling is cheap: each fetch reads the metadata endpoint, and reads data only for versions the
 * engine does not hold already ({@link FetchContext#knownRing()}).
 *
 * <p>Needs the policy capabilities {@code read} on {@code <mount>/metadata/<path>} and
 * {@code <mount>/data/<path>}. Thread-safe.
 */
public final class VaultKvProvider implements CredentialProvider {

  /** Custom metadata key holding the next planned rotation as an ISO-8601 instant. */
  public static final String NEXT_ROTATION = "next_rotation";

  private static final Logger LOG = LoggerFactory.getLogger(VaultKvProvider.class);

  private final VaultSession session;
  private final String mount;
  private final String secretPath;
  private final String path;
  private final String metadataPath;

  private VaultKvProvider(VaultSession session, String mount, String secretPath) {
    this.session = Objects.requireNonNull(session, "session");
    this.mount = VaultAuth.requireMount(mount);
    this.secretPath = VaultAuth.requireMount(secretPath);
    this.path = this.mount + "/" + this.secretPath;
    this.metadataPath = this.mount + "/metadata/" + this.secretPath;
  }

  /**
   * Reads {@code secretPath} in the KV v2 engine mounted at {@code mount}, e.g.
   * {@code of(session, "secret", "payments/api-key")}; the mount may have several segments.
   */
  public static VaultKvProvider of(VaultSession session, String mount, String secretPath) {
    return new VaultKvProvider(session, mount, secretPath);
  }

  @Override
  public String backend() {
    return VaultTransport.BACKEND;
  }

  /** {@code <mount>/<path>}, as {@code vault kv get} takes it. */
  @Override
  public String path() {
    return path;
  }

  @Override
  public String backendId() {
    return session.backendId();
  }

  @Override
  public FetchResult fetch(FetchContext context) {
    String name = context.credentialName();
    return session.withToken(name, st -> fetch(st, context));
  }

  private FetchResult fetch(SessionToken st, FetchContext context) {
    String name = context.credentialName();
    VaultTransport transport = session.transport();
    JsonObject body = transport.call(name, metadataPath,
        () -> st.logical().logical().read(metadataPath).getRestResponse());
    VaultJson json = new VaultJson(name, metadataPath);
    JsonObject meta = json.object(body, "data");
    long currentVersion = json.number(meta, "current_version");
    JsonObject versions = json.object(meta, "versions");
    Map<String, String> custom = json.optionalObject(meta, "custom_metadata").map(VaultJson::flatten).orElse(Map.of());

    VersionInfo current = versionInfo(json, versions, currentVersion)
        .orElseThrow(() -> new PermanentBackendException(name, VaultTransport.BACKEND, path,
            "current version " + currentVersion + " is not listed in the metadata", null));
    if (!current.live()) {
      throw new PermanentBackendException(name, VaultTransport.BACKEND, path,
          "current version " + currentVersion + " is " + (current.destroyed() ? "destroyed" : "deleted"), null);
    }
    Instant nextRotation = nextRotation(custom, name);
    Credential cur = credential(st, context, current, custom, nextRotation);
    FetchResult.Builder result = FetchResult.builder(cur);
    versionInfo(json, versions, currentVersion - 1)
        .filter(VersionInfo::live)
        .ifPresent(prev -> result.previous(credential(st, context, prev, custom, null)));
    return result.build();
  }

  private Credential credential(
      SessionToken st, FetchContext context, VersionInfo info, Map<String, String> custom, @Nullable Instant nextRotation) {
    String version = Long.toString(info.version());
    SecretValue value = context.knownRing()
        .flatMap(ring -> known(ring, version))
        .map(Credential::value)
        .orElseGet(() -> readVersion(st, context.credentialName(), info.version()));
    return Credential.builder(version)
        .value(value)
        .issuedAt(info.created())
        .nextRotation(nextRotation)
        .metadata(custom)
        .build();
  }

  private static Optional<Credential> known(KeyRing ring, String version) {
    return ring.entry(version).map(KeyRing.Entry::credential);
  }

  private SecretValue readVersion(SessionToken st, String name, long version) {
    String dataPath = mount + "/data/" + secretPath + "?version=" + version;
    JsonObject body = session.transport().call(name, dataPath,
        () -> st.kv(mount).logical().read(path, true, (int) version).getRestResponse());
    VaultJson json = new VaultJson(name, dataPath);
    JsonObject data = json.object(body, "data");
    JsonValue values = data.get("data");
    if (values == null || !values.isObject()) {
      throw new PermanentBackendException(name, VaultTransport.BACKEND, dataPath,
          "version " + version + " has no data (deleted or destroyed)", null);
    }
    return SecretValue.ofMap(VaultJson.flatten(values.asObject()));
  }

  private Optional<VersionInfo> versionInfo(VaultJson json, JsonObject versions, long version) {
    if (version < 1) {
      return Optional.empty();
    }
    return json.optionalObject(versions, Long.toString(version)).map(v -> new VersionInfo(
        version,
        json.instant(v, "created_time").orElseGet(() -> session.clock().instant()),
        json.optionalString(v, "deletion_time").isPresent(),
        json.bool(v, "destroyed", false)));
  }

  private @Nullable Instant nextRotation(Map<String, String> custom, String name) {
    String text = custom.get(NEXT_ROTATION);
    if (text == null) {
      return null;
    }
    Optional<Instant> parsed = VaultJson.parseInstant(text);
    if (parsed.isEmpty()) {
      LOG.warn("credential '{}' [vault {}]: custom metadata {}='{}' is not an ISO-8601 instant; ignored",
          name, path, NEXT_ROTATION, text);
    }
    return parsed.orElse(null);
  }

  /** What the metadata endpoint says about one version. */
  private record VersionInfo(long version, Instant created, boolean deleted, boolean destroyed) {
    boolean live() {
      return !deleted && !destroyed;
    }
  }

  @Override
  public String toString() {
    return "VaultKvProvider[" + session.backendId() + " " + path + "]";
  }
}
