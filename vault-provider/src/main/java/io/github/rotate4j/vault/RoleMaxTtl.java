package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The max TTL of the leases a database secrets engine role issues ({@code <mount>/creds/<role>}),
 * read from Vault, since a lease response does not carry it: the role's {@code max_ttl} from
 * {@code <mount>/roles/<role>}, bounded by the mount's {@code max_lease_ttl} from
 * {@code sys/mounts/<mount>/tune} (Vault caps a role's max TTL at the mount's; a role's 0 means the
 * mount's). Vault reports the mount's effective value, the system max when the mount sets none.
 *
 * <p>Best effort, read after the lease: a read that fails never fails the fetch. A token whose policy does not allow the
 * read (403) is logged once at INFO with the capability it lacks; the max TTL then stays unknown and
 * the engine learns it from the first renewal that comes back short, as it would without this.
 *
 * <p>Cached: read again at most every {@link #REREAD_AFTER} (role settings change rarely, and each
 * fetch of a lease is already one call; re-reading on every fetch would double the calls of a fleet
 * whose leases are short), after a transient failure at most every {@link #RETRY_AFTER_FAILURE},
 * keeping what was known. Thread-safe; two fetches racing for an expired cache may both read it,
 * which is harmless.
 */
final class RoleMaxTtl {

  /** How long what was read (or refused) is kept. */
  static final Duration REREAD_AFTER = Duration.ofHours(1);
  /** How soon a read that failed for a transient reason (5xx, I/O, timeout) is tried again. */
  static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(RoleMaxTtl.class);
  private static final Pattern CREDS_PATH = Pattern.compile("(.+)/creds/([^/]+)");

  private final String rolePath;
  private final String tunePath;
  private volatile @Nullable Cached cached;
  /** Paths whose refusal or odd answer was already logged: each is logged once. */
  private final Set<String> logged = ConcurrentHashMap.newKeySet();

  private record Cached(@Nullable Duration maxTtl, Instant validUntil) {}

  private RoleMaxTtl(String mount, String role) {
    this.rolePath = mount + "/roles/" + role;
    this.tunePath = "sys/mounts/" + mount + "/tune";
  }

  /** For a {@code <mount>/creds/<role>} path; empty for any other path. */
  static Optional<RoleMaxTtl> forPath(String path) {
    Matcher m = CREDS_PATH.matcher(path);
    return m.matches() ? Optional.of(new RoleMaxTtl(m.group(1), m.group(2))) : Optional.empty();
  }

  String rolePath() {
    return rolePath;
  }

  String tunePath() {
    return tunePath;
  }

  /**
   * The role's effective max TTL, from the cache or read now with {@code token}; empty when unknown.
   * Never throws for a backend failure.
   */
  Optional<Duration> get(VaultSession session, SessionToken token, String credentialName, Instant now) {
    Cached c = cached;
    if (c != null && now.isBefore(c.validUntil())) {
      return Optional.ofNullable(c.maxTtl());
    }
    Cached fresh;
    try {
      fresh = read(session, token, credentialName, now, c);
    } catch (RuntimeException e) {
      // a lease was just issued: nothing here may keep it from being served
      LOG.debug("credential '{}': reading the lease's max TTL failed: {}", credentialName, e.getClass().getSimpleName());
      fresh = new Cached(c == null ? null : c.maxTtl(), now.plus(RETRY_AFTER_FAILURE));
    }
    cached = fresh;
    return Optional.ofNullable(fresh.maxTtl());
  }

  private Cached read(VaultSession session, SessionToken token, String credentialName, Instant now, @Nullable Cached before) {
    Read role = seconds(session, token, credentialName, rolePath, "max_ttl", UNKNOWN);
    if (role.transientFailure()) {
      return new Cached(before == null ? null : before.maxTtl(), now.plus(RETRY_AFTER_FAILURE));
    }
    if (role.value().isEmpty()) {
      return new Cached(null, now.plus(REREAD_AFTER));
    }
    Read mount = seconds(session, token, credentialName, tunePath, "max_lease_ttl", ROLE_ONLY);
    if (mount.transientFailure()) {
      return new Cached(before == null ? null : before.maxTtl(), now.plus(RETRY_AFTER_FAILURE));
    }
    long roleMax = role.value().getAsLong();
    long mountMax = mount.value().orElse(0);
    long effective;
    if (roleMax > 0) {
      effective = mountMax > 0 ? Math.min(roleMax, mountMax) : roleMax;
    } else {
      effective = mountMax;
    }
    Duration maxTtl = effective > 0 ? Duration.ofSeconds(effective) : null;
    LOG.debug("credential '{}': leases of {} live at most {} (role max_ttl {} s, mount max_lease_ttl {})", credentialName,
        rolePath, maxTtl == null ? "an unknown time" : maxTtl, roleMax, mount.value().isPresent() ? mountMax + " s" : "unknown");
    return new Cached(maxTtl, now.plus(REREAD_AFTER));
  }

  /** What one read gave: a number of seconds, nothing, or a transient failure (try again soon). */
  private record Read(OptionalLong value, boolean transientFailure) {
    static final Read NONE = new Read(OptionalLong.empty(), false);
    static final Read TRANSIENT = new Read(OptionalLong.empty(), true);
  }

  /** What follows when the role cannot be read, and when the mount cannot be read. */
  private static final String UNKNOWN = "the lease's max TTL stays unknown until a renewal comes back short";
  private static final String ROLE_ONLY = "the role's own max_ttl is used, if it sets one, without the mount's cap";

  private Read seconds(VaultSession session, SessionToken token, String credentialName, String path, String field,
      String consequence) {
    JsonObject body;
    try {
      body = session.transport().send(credentialName, "GET", path, token.value(), null);
    } catch (BackendException e) {
      if (VaultTransport.isPermissionDenied(e)) {
        logOnce(path, "credential '{}' [{} {}]: the token may not read this path (HTTP 403; its policy needs the 'read' "
            + "capability on it); {}", credentialName, session.backendId(), path, consequence);
        return Read.NONE;
      }
      if (e.kind() == FailureKind.TRANSIENT) {
        LOG.debug("credential '{}': reading {} for the lease's max TTL failed, trying again later: {}", credentialName, path,
            e.getMessage());
        return Read.TRANSIENT;
      }
      logOnce(path, "{}; {}", String.valueOf(e.getMessage()), consequence);
      return Read.NONE;
    } catch (RuntimeException e) {
      logOnce(path, "credential '{}' [{} {}]: reading it failed ({}); {}",
          credentialName, session.backendId(), path, e.getClass().getSimpleName(), consequence);
      return Read.NONE;
    }
    JsonValue data = body.get("data");
    JsonValue v = data != null && data.isObject() ? data.asObject().get(field) : null;
    OptionalLong seconds = v == null ? OptionalLong.empty() : parseSeconds(v);
    if (seconds.isEmpty()) {
      logOnce(path, "credential '{}' [{} {}]: the answer has no number of seconds '{}' (not a database secrets engine role?); {}",
          credentialName, session.backendId(), path, field, consequence);
      return Read.NONE;
    }
    return new Read(seconds, false);
  }

  /** A whole, non-negative number of seconds, as a JSON number or a string of digits. */
  static OptionalLong parseSeconds(JsonValue v) {
    try {
      if (v.isNumber()) {
        double d = v.asDouble();
        return d >= 0 && d < Long.MAX_VALUE / 1_000_000_000L ? OptionalLong.of((long) d) : OptionalLong.empty();
      }
      if (v.isString() && v.asString().strip().matches("[0-9]{1,12}")) {
        return OptionalLong.of(Long.parseLong(v.asString().strip()));
      }
    } catch (RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  private void logOnce(String path, String format, Object... args) {
    if (logged.add(path)) {
      LOG.info(format, args);
    } else {
      LOG.debug(format, args);
    }
  }

  @Override
  public String toString() {
    return "RoleMaxTtl[" + rolePath + "]";
  }
}
