package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Reads the password of a database <em>static role</em> ({@code <mount>/static-creds/<role>}): a
 * database user that exists on its own and whose password Vault changes every
 * {@code rotation_period}. There is no lease; Vault answers with {@code username},
 * {@code password}, {@code last_vault_rotation}, {@code rotation_period} and {@code ttl} (the
 * seconds left until the next rotation).
 *
 * <pre>{@code
 * CredentialProvider db = VaultStaticRoleProvider.builder(vault, "database", "orders-app").build();
 * RotatingCredential dbCred = RotatingCredential.builder("orders-db", db).build().start();
 * SecretValue.UsernamePassword up = dbCred.get().usernamePassword();
 * }</pre>
 *
 * <ul>
 *   <li><b>Version</b>: the instant of {@code last_vault_rotation} (ISO-8601, e.g.
 *       {@code 2031-03-01T12:00:05.123Z}), never derived from the password. It changes exactly when
 *       Vault rotates the password; the credential's issue time is that instant too.
 *   <li><b>Refresh just after Vault rotates.</b> Each fetch announces the next rotation,
 *       {@code last_vault_rotation + rotation_period}, as {@link FetchResult#nextChange()}: the
 *       engine polls right after it (and again shortly if Vault is a few seconds late) instead of
 *       waiting for its regular poll interval.
 *   <li><b>No hard expiry.</b> Rotation does not end the sessions opened with the old password, so
 *       the credential has no {@link Credential#expiresAt()}: {@code get()} never fails because a
 *       rotation instant passed. New logins need the new password; use
 *       {@code RotatingCredential.reportRejected} (or {@code call}) on a login failure to fetch it at
 *       once.
 *   <li><b>Previous password.</b> After a rotation the password this provider saw before is
 *       reported as the previous version, so the key ring keeps it for the grace period (a pool can
 *       tell the connections opened with it and evict them softly). Set the grace period to how long
 *       such connections may live.
 *   <li><b>Overdue.</b> {@link Credential#nextRotation()} is the scheduled rotation plus
 *       {@link Builder#overdueTolerance(Duration) overdueTolerance} (default 5 s: Vault checks its
 *       rotation queue every 5 s); once that has passed without a new password the engine reports
 *       the role as overdue (Vault cannot rotate: database down, wrong root credentials, ...).
 * </ul>
 *
 * <p>Needs the policy capability {@code read} on the path. Thread-safe.
 */
public final class VaultStaticRoleProvider implements CredentialProvider {

  /** Metadata key: Vault's {@code last_vault_rotation}, as an ISO-8601 instant. */
  public static final String LAST_VAULT_ROTATION = "last_vault_rotation";
  /** Metadata key: Vault's {@code rotation_period}, in seconds (absent for schedule-based roles). */
  public static final String ROTATION_PERIOD = "rotation_period";
  /** How late a rotation may be before the role counts as overdue, unless configured. */
  public static final Duration DEFAULT_OVERDUE_TOLERANCE = Duration.ofSeconds(5);

  private final VaultSession session;
  private final String path;
  private final Duration overdueTolerance;
  /** The last two versions seen, newest first: the backend's history as far as this provider knows it. */
  private final AtomicReference<Seen> seen = new AtomicReference<>(new Seen(null, null));

  private record Seen(@Nullable Credential latest, @Nullable Credential before) {
    Seen next(Credential fresh) {
      if (latest == null || latest.version().equals(fresh.version())) {
        return new Seen(fresh, before);
      }
      return fresh.issuedAt().isBefore(latest.issuedAt()) ? this : new Seen(fresh, latest);
    }
  }

  private VaultStaticRoleProvider(Builder b) {
    this.session = b.session;
    this.path = b.path;
    this.overdueTolerance = b.overdueTolerance;
  }

  /**
   * Starts a provider that reads {@code path}, the full path of the static role's credentials,
   * e.g. {@code database/static-creds/orders-app}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the path is blank
   */
  public static Builder builder(VaultSession session, String path) {
    return new Builder(session, VaultAuth.requireMount(Objects.requireNonNull(path, "path")));
  }

  /**
   * Starts a provider for {@code role} in the database secrets engine mounted at {@code mount}:
   * reads {@code <mount>/static-creds/<role>}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the mount or role is blank or the role contains a {@code /}
   */
  public static Builder builder(VaultSession session, String mount, String role) {
    String m = VaultAuth.requireMount(Objects.requireNonNull(mount, "mount"));
    Objects.requireNonNull(role, "role");
    String r = role.strip();
    if (r.isEmpty() || r.contains("/")) {
      throw new IllegalArgumentException("role must be a static role name without '/', but was '" + role + "'");
    }
    return new Builder(session, m + "/static-creds/" + r);
  }

  @Override
  public String backend() {
    return VaultTransport.BACKEND;
  }

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
    return session.withToken(name, st -> {
      JsonObject body = session.transport().call(name, path, () -> st.logical().logical().read(path).getRestResponse());
      Instant now = session.clock().instant();
      StaticCreds creds = parse(name, body);
      Optional<Instant> due = creds.scheduledRotation(now);
      Credential.Builder c = Credential.builder(creds.rotated().toString())
          .value(SecretValue.ofUsernamePassword(creds.username(), creds.password()))
          // Vault reports the zero time for a role it has not rotated yet
          .issuedAt(creds.rotated().isAfter(Instant.EPOCH) ? creds.rotated() : now)
          .nextRotation(due.map(d -> d.plus(overdueTolerance)).orElse(null))
          .metadata(LAST_VAULT_ROTATION, creds.rotated().toString());
      creds.period().ifPresent(p -> c.metadata(ROTATION_PERIOD, Long.toString(p)));
      Credential fresh = c.build();
      Seen known = seen.updateAndGet(s -> s.next(fresh));
      FetchResult.Builder result = FetchResult.builder(fresh).nextChange(due.orElse(null));
      if (known.latest() == fresh && known.before() != null) {
        result.previous(known.before());
      }
      return result.build();
    });
  }

  /** What Vault answered; {@code toString} of a record would show the password, so it is never printed. */
  private record StaticCreds(String username, String password, Instant rotated, Optional<Long> period, Optional<Long> ttl) {

    /**
     * The next scheduled rotation: {@code last_vault_rotation + rotation_period}, exact where
     * Vault's {@code ttl} is rounded to seconds; {@code now + ttl} for roles rotated on a schedule.
     */
    Optional<Instant> scheduledRotation(Instant now) {
      if (period.isPresent() && rotated.isAfter(Instant.EPOCH)) {
        return Optional.of(rotated.plusSeconds(period.get()));
      }
      return ttl.map(t -> now.plusSeconds(t));
    }

    @Override
    public String toString() {
      return "StaticCreds[rotated=" + rotated + ", password=<redacted>]";
    }
  }

  private StaticCreds parse(String name, JsonObject body) {
    VaultJson json = new VaultJson(name, path);
    if (json.optionalString(body, "lease_id").isPresent()) {
      throw new PermanentBackendException(name, VaultTransport.BACKEND, path,
          "the response carries a lease, so this is not a static role; read leased secrets with VaultLeaseProvider", null);
    }
    JsonObject data = json.object(body, "data");
    String rotatedText = json.optionalString(data, LAST_VAULT_ROTATION).orElseThrow(() -> VaultTransport.malformed(
        name, path, "no '" + LAST_VAULT_ROTATION + "'; is this a database static role (<mount>/static-creds/<role>)?"));
    Instant rotated = VaultJson.parseInstant(rotatedText).orElseThrow(() -> VaultTransport.malformed(
        name, path, "'" + LAST_VAULT_ROTATION + "' is not an ISO-8601 instant"));
    return new StaticCreds(json.string(data, "username"), json.string(data, "password"), rotated,
        seconds(name, data, ROTATION_PERIOD).filter(p -> p > 0),
        seconds(name, data, "ttl").map(t -> Math.max(0, t)));
  }

  /** A whole number of seconds; Vault writes durations as JSON numbers. */
  private Optional<Long> seconds(String name, JsonObject data, String field) {
    JsonValue v = data.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isNumber()) {
      throw VaultTransport.malformed(name, path, "'" + field + "' is not a number of seconds");
    }
    return Optional.of((long) Math.floor(v.asDouble()));
  }

  @Override
  public String toString() {
    return "VaultStaticRoleProvider[" + session.backendId() + " " + path + "]";
  }

  /**
   * Builds a {@link VaultStaticRoleProvider}. Not thread-safe; each setting may be made once.
   */
  public static final class Builder {
    private final VaultSession session;
    private final String path;
    private Duration overdueTolerance = DEFAULT_OVERDUE_TOLERANCE;
    private boolean overdueToleranceSet;

    private Builder(VaultSession session, String path) {
      this.session = Objects.requireNonNull(session, "session");
      this.path = path;
    }

    /**
     * How late Vault may be with a scheduled rotation before the role is reported overdue. Default
     * {@link #DEFAULT_OVERDUE_TOLERANCE} (Vault looks for due rotations every 5 s).
     *
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder overdueTolerance(Duration tolerance) {
      Objects.requireNonNull(tolerance, "overdueTolerance");
      if (tolerance.isNegative()) {
        throw new IllegalArgumentException("overdueTolerance must not be negative, but was " + tolerance);
      }
      if (overdueToleranceSet) {
        throw new IllegalStateException("overdueTolerance was already set to " + overdueTolerance);
      }
      this.overdueTolerance = tolerance;
      this.overdueToleranceSet = true;
      return this;
    }

    /** The provider; it holds no connection of its own (the session does). */
    public VaultStaticRoleProvider build() {
      return new VaultStaticRoleProvider(this);
    }
  }
}
