package io.github.rotate4j;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One version of a secret: its value, its version id and its lifetime. Immutable and safe to share
 * between threads.
 *
 * <p>{@code toString()} shows the version, times and lease id but never the value.
 *
 * <pre>{@code
 * Credential c = Credential.builder("7")
 *     .value(SecretValue.ofString(apiKey))
 *     .issuedAt(Instant.now())
 *     .build();
 * }</pre>
 */
public final class Credential {

  private final SecretValue value;
  private final String version;
  private final Instant issuedAt;
  private final @Nullable Instant expiresAt;
  private final boolean renewable;
  private final @Nullable String leaseId;
  private final @Nullable Instant nextRotation;
  private final Map<String, String> metadata;
  private volatile byte @Nullable [] presentedDigest;
  /** The digest of one field of a key/value secret, with the field's name (verify compares it on every call). */
  private volatile @Nullable FieldDigest fieldDigest;

  private Credential(Builder b) {
    this.value = Objects.requireNonNull(b.value, "value must be set");
    this.version = b.version;
    this.issuedAt = Objects.requireNonNull(b.issuedAt, "issuedAt must be set");
    this.expiresAt = b.expiresAt;
    this.renewable = b.renewable;
    this.leaseId = b.leaseId;
    this.nextRotation = b.nextRotation;
    this.metadata = SecretValue.compact(b.metadata);
    if (expiresAt != null && expiresAt.isBefore(issuedAt)) {
      throw new IllegalArgumentException(
          "expiresAt must not be before issuedAt, but was " + expiresAt + " < " + issuedAt
              + " for version " + version);
    }
    if (renewable && leaseId == null) {
      throw new IllegalArgumentException("a renewable credential needs a lease id (version " + version + ")");
    }
  }

  /** Starts a credential with the given version id (KV version, AWS VersionId, lease id, hash). */
  public static Builder builder(String version) {
    return new Builder(version);
  }

  /** A builder pre-filled with this credential's fields, e.g. to extend the expiry after a renewal. */
  public Builder toBuilder() {
    Builder b = new Builder(version);
    b.value = value;
    b.issuedAt = issuedAt;
    b.expiresAt = expiresAt;
    b.renewable = renewable;
    b.leaseId = leaseId;
    b.nextRotation = nextRotation;
    b.metadata.putAll(metadata);
    return b;
  }

  /** The secret value. */
  public SecretValue value() {
    return value;
  }

  /**
   * The value as a string.
   *
   * @throws IllegalStateException if the value is not a text secret
   */
  public String secretString() {
    if (value instanceof SecretValue.Text t) {
      return t.value();
    }
    throw new IllegalStateException("credential version " + version + " is not a text secret but " + value.kind());
  }

  /**
   * The value as a key/value map. A username/password value gives its attributes plus
   * {@code username} and {@code password}.
   *
   * @throws IllegalStateException if the value is not a key/value secret
   */
  public Map<String, String> secretMap() {
    if (value instanceof SecretValue.KeyValue kv) {
      return kv.value();
    }
    if (value instanceof SecretValue.UsernamePassword up) {
      Map<String, String> all = new LinkedHashMap<>(up.attributes());
      all.put("username", up.username());
      all.put("password", up.password());
      return Collections.unmodifiableMap(all);
    }
    throw new IllegalStateException("credential version " + version + " is not a key/value secret but " + value.kind());
  }

  /**
   * The value as a username and password. A key/value secret with {@code username} and
   * {@code password} fields qualifies too.
   *
   * @throws IllegalStateException if the value carries no username and password
   */
  public SecretValue.UsernamePassword usernamePassword() {
    if (value instanceof SecretValue.UsernamePassword up) {
      return up;
    }
    if (value instanceof SecretValue.KeyValue kv
        && kv.value().containsKey("username")
        && kv.value().containsKey("password")) {
      Map<String, String> attributes = new LinkedHashMap<>(kv.value());
      attributes.remove("username");
      attributes.remove("password");
      return new SecretValue.UsernamePassword(kv.value().get("username"), kv.value().get("password"), attributes);
    }
    throw new IllegalStateException(
        "credential version " + version + " has no username and password but is " + value.kind());
  }

  /** The version id: KV version number, AWS VersionId, lease id or content hash. */
  public String version() {
    return version;
  }

  /** When the backend issued this version (or when it was first read, if the backend does not say). */
  public Instant issuedAt() {
    return issuedAt;
  }

  /** The hard expiry (lease end); empty for secrets that do not expire by themselves. */
  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  /** Whether the lease can be renewed. */
  public boolean renewable() {
    return renewable;
  }

  /** The lease id, for leased (dynamic) secrets. */
  public Optional<String> leaseId() {
    return Optional.ofNullable(leaseId);
  }

  /** When the owner of this secret plans to rotate it next; past that instant the secret is overdue. */
  public Optional<Instant> nextRotation() {
    return Optional.ofNullable(nextRotation);
  }

  /** Backend metadata such as {@code rotated_at}; never secret. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Whether the credential has a hard expiry at or before {@code now}. */
  public boolean isExpiredAt(Instant now) {
    return expiresAt != null && !expiresAt.isAfter(now);
  }

  /** Time left until the hard expiry, if any (negative once expired). */
  public Optional<Duration> remainingAt(Instant now) {
    return expiresAt == null ? Optional.empty() : Optional.of(Duration.between(now, expiresAt));
  }

  /** SHA-256 of the presented form, computed once; compared in constant time by the key ring. */
  byte[] presentedDigest() {
    byte[] d = presentedDigest;
    if (d == null) {
      d = sha256(value.presentedForm());
      presentedDigest = d;
    }
    return d;
  }

  /**
   * SHA-256 of the presented form, where {@code keyField} (if not null) names the field of a
   * key/value secret that callers present.
   */
  byte[] presentedDigest(@Nullable String keyField) {
    if (keyField == null || !(value instanceof SecretValue.KeyValue kv)) {
      return presentedDigest();
    }
    FieldDigest cached = fieldDigest;
    if (cached != null && cached.field().equals(keyField)) {
      return cached.digest();
    }
    String field = kv.value().get(keyField);
    if (field == null) {
      throw new IllegalStateException("credential version " + version + " has no field '" + keyField
          + "' to match presented keys against (it has " + SecretValue.countOf(kv.value().size(), "field")
          + "; their names are not shown, as a misread file can turn the secret into a field name)");
    }
    byte[] digest = sha256(field.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    fieldDigest = new FieldDigest(keyField, digest);
    return digest;
  }

  private record FieldDigest(String field, byte[] digest) {}

  /**
   * One SHA-256 digest per thread, reused: {@code verify()} hashes the presented key on every call, and
   * a new digest (its lookup and about 350 bytes of state) per call is most of what that call costs.
   * {@code digest(bytes)} resets it, so nothing carries over between calls.
   */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(Credential::newSha256);

  static byte[] sha256(byte[] bytes) {
    return SHA_256.get().digest(bytes);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** Same version, value and lifetime. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Credential c
        && c.version.equals(version)
        && c.value.equals(value)
        && c.issuedAt.equals(issuedAt)
        && Objects.equals(c.expiresAt, expiresAt)
        && Objects.equals(c.leaseId, leaseId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, issuedAt, expiresAt, leaseId);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Credential[version=").append(version)
        .append(", issuedAt=").append(issuedAt);
    if (expiresAt != null) {
      sb.append(", expiresAt=").append(expiresAt);
    }
    if (leaseId != null) {
      sb.append(", leaseId=").append(leaseId).append(", renewable=").append(renewable);
    }
    return sb.append(", value=<redacted>]").toString();
  }

  /** Builds a {@link Credential}. Not thread-safe. */
  public static final class Builder {
    private final String version;
    private @Nullable SecretValue value;
    private @Nullable Instant issuedAt;
    private @Nullable Instant expiresAt;
    private boolean renewable;
    private @Nullable String leaseId;
    private @Nullable Instant nextRotation;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String version) {
      Objects.requireNonNull(version, "version");
      if (version.isBlank()) {
        throw new IllegalArgumentException("version must not be blank");
      }
      this.version = version;
    }

    public Builder value(SecretValue value) {
      this.value = Objects.requireNonNull(value, "value");
      return this;
    }

    public Builder issuedAt(Instant issuedAt) {
      this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
      return this;
    }

    /** The hard expiry; {@code null} for none. */
    public Builder expiresAt(@Nullable Instant expiresAt) {
      this.expiresAt = expiresAt;
      return this;
    }

    /** A lease: id, whether it is renewable. */
    public Builder lease(String leaseId, boolean renewable) {
      this.leaseId = Objects.requireNonNull(leaseId, "leaseId");
      this.renewable = renewable;
      return this;
    }

    /** When the secret is due to be rotated next; {@code null} for unknown. */
    public Builder nextRotation(@Nullable Instant nextRotation) {
      this.nextRotation = nextRotation;
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
      return this;
    }

    public Builder metadata(Map<String, String> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    public Credential build() {
      return new Credential(this);
    }
  }
}
