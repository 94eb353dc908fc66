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
 * <p>A key staged by a {@link VaultKvSecretStore} rotation (named in {@code custom_metadata}) is
 * read as the key ring's pending entry.
 *
 * <p>Polling is cheap: each fetch reads the metadata endpoint, and reads data only for versions the
 * engine does not hold already ({@link FetchContext#knownRing()}). A version is the same only if
 * its number <em>and</em> its {@code created_time} match: a secret deleted with
 * {@code kv metadata delete} and written again numbers its versions from 1 again, and such a
 * version is read afresh and named {@code <number>@<created_time>} while the ring still holds the
 * old version of that number.
 *
 * <p>A version counts as deleted once its {@code deletion_time} has passed: with
 * {@code delete_version_after} set, Vault gives every version a deletion time in the future, and
 * the version is served until then.
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
    // the metadata lists every version: what it does not offer as previous is no longer valid
    FetchResult.Builder result = FetchResult.builder(cur).historyReported(true);
    versionInfo(json, versions, currentVersion - 1)
        .filter(VersionInfo::live)
        .ifPresent(prev -> result.previous(credential(st, context, prev, custom, null)));
    pending(st, context, custom).ifPresent(result::pending);
    return result.build();
  }

  /**
   * The key a {@link VaultKvSecretStore} rotation has staged, named in {@code custom_metadata}: the
   * key ring's pending entry, version {@code pending-<rotation id>}.
   */
  private Optional<Credential> pending(SessionToken st, FetchContext context, Map<String, String> custom) {
    String pendingPath = custom.get(VaultKvSecretStore.PENDING_PATH);
    String rotationId = custom.get(VaultKvSecretStore.PENDING_ID);
    if (pendingPath == null || rotationId == null) {
      return Optional.empty();
    }
    String version = "pending-" + rotationId;
    Optional<SecretValue> known = context.knownRing().flatMap(ring -> ring.entry(version)).map(e -> e.credential().value());
    Optional<SecretValue> value = known.isPresent() ? known : readPending(st, context.credentialName(), pendingPath);
    return value.map(v -> Credential.builder(version).value(v).issuedAt(session.clock().instant()).metadata(custom).build());
  }

  private Optional<SecretValue> readPending(SessionToken st, String name, String pendingPath) {
    String api = mount + "/data/" + pendingPath;
    JsonObject body;
    try {
      body = session.transport().send(name, "GET", api, st.value(), null);
    } catch (io.github.rotate4j.BackendException e) {
      if (e.httpStatus().orElse(0) == 404) {
        return Optional.empty(); // promoted or rolled back in the meantime
      }
      throw e;
    }
    JsonValue data = body.get("data");
    JsonValue values = data != null && data.isObject() ? data.asObject().get("data") : null;
    return values == null || !values.isObject()
        ? Optional.empty() : Optional.of(SecretValue.ofMap(VaultJson.flatten(values.asObject())));
  }

  private Credential credential(
      SessionToken st, FetchContext context, VersionInfo info, Map<String, String> custom, @Nullable Instant nextRotation) {
    Optional<KeyRing> ring = context.knownRing();
    Optional<Credential> known = ring.flatMap(r -> sameVersion(r, info));
    String version;
    SecretValue value;
    if (known.isPresent()) {
      version = known.get().version();
      value = known.get().value();
    } else {
      // a secret deleted and written again numbers its versions from 1 again: a number the ring
      // already holds with another creation time is another version and gets another name
      boolean taken = ring.map(r -> r.entries().stream().anyMatch(e -> sameNumber(e.credential(), info))).orElse(false);
      version = taken ? info.version() + "@" + info.created() : Long.toString(info.version());
      value = readVersion(st, context.credentialName(), info.version());
    }
    return Credential.builder(version)
        .value(value)
        .issuedAt(info.created())
        .nextRotation(nextRotation)
        .metadata(custom)
        .build();
  }

  /** The ring's credential for this version: same number <em>and</em> same creation time. */
  private static Optional<Credential> sameVersion(KeyRing ring, VersionInfo info) {
    return ring.entries().stream()
        .map(KeyRing.Entry::credential)
        .filter(c -> sameNumber(c, info) && c.issuedAt().equals(info.created()))
        .findFirst();
  }

  private static boolean sameNumber(Credential c, VersionInfo info) {
    String number = Long.toString(info.version());
    return c.version().equals(number) || c.version().startsWith(number + "@");
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
        // delete_version_after puts a future deletion_time on every version: deleted only once it has passed
        json.optionalString(v, "deletion_time")
            .map(t -> VaultJson.parseInstant(t).map(at -> !at.isAfter(session.clock().instant())).orElse(true))
            .orElse(false),
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
