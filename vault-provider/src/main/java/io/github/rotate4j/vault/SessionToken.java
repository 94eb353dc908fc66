package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.Vault;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * One client token and what is known of its lifetime, with the driver instances bound to it. The
 * known end moves forward with each renewal and stays put once the token is superseded, so leases
 * created under it can be capped at the moment they will die with it.
 */
final class SessionToken {

  private final VaultAuth.Login login;
  private final VaultTransport transport;
  private final Vault logical;
  private final ConcurrentMap<String, Vault> kvByMount = new ConcurrentHashMap<>();
  private volatile @Nullable Instant end;
  private volatile boolean mustReplace;

  SessionToken(VaultAuth.Login login, VaultTransport transport, Instant obtainedAt) {
    this.login = login;
    this.transport = transport;
    this.logical = transport.driver(login.token(), null);
    this.end = login.expires() ? obtainedAt.plus(login.ttl()) : null;
  }

  VaultAuth.Login login() {
    return login;
  }

  /** The token itself; never log it. */
  String value() {
    return login.token();
  }

  /** Engine-version-1 driver: paths are sent as given. */
  Vault logical() {
    return logical;
  }

  /** KV v2 driver for {@code mount}: paths under it get {@code /data/} inserted after the mount. */
  Vault kv(String mount) {
    return kvByMount.computeIfAbsent(mount, m -> transport.driver(login.token(), m));
  }

  /** When the token ends if not renewed again; empty for a token without expiry. */
  Optional<Instant> knownEnd() {
    return Optional.ofNullable(end);
  }

  void extendTo(Instant newEnd) {
    this.end = newEnd;
  }

  boolean mustReplace() {
    return mustReplace;
  }

  void markMustReplace() {
    this.mustReplace = true;
  }

  @Override
  public String toString() {
    return "SessionToken[end=" + end + ", renewable=" + login.renewable() + ", token=<redacted>]";
  }
}
