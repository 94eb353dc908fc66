package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a leased (dynamic) secret: any path that answers with a lease, such as
 * {@code database/creds/<role>} or {@code aws/creds/<role>}. Each fetch creates a new lease; the
 * engine renews it while renewable, replaces it near its max TTL, and revokes it on close.
 *
 * <pre>{@code
 * CredentialProvider db = VaultLeaseProvider.of(vault, "database/creds/orders-app");
 * RotatingCredential dbCred = RotatingCredential.builder("orders-db", db).build().start();
 * SecretValue.UsernamePassword up = dbCred.get().usernamePassword();
 * }</pre>
 *
 * <p>The credential's version is the lease id; its value is a {@link SecretValue.UsernamePassword}
 * when the secret holds exactly {@code username} and {@code password} (database roles), otherwise
 * the key/value map (e.g. {@code access_key}, {@code secret_key}).
 *
 * <p><b>Leases die with their token.</b> Vault revokes every lease when the token that created it
 * expires. So the expiry reported for a lease is the earlier of the lease's own end and the
 * creating token's known end; when the session has replaced that token (max TTL reached), the
 * engine sees the lease end coming and fetches a new one under the new token in time, instead of
 * serving a credential the database has already dropped.
 *
 * <p><b>Max TTL up front.</b> A lease response says how long the lease lives now, not how long
 * renewals can keep it alive. When that is known, each fetch announces it
 * ({@link FetchResult#maxLeaseEnd()}: issue time plus max TTL, never after the creating token's
 * end, never before the lease's own expiry) and the engine draws the lease's replacement over its
 * whole life, so that a fleet whose leases were issued together does not replace them all at once.
 * It is known when declared with {@link Builder#maxTtl(Duration)}, or, for a database secrets engine
 * path {@code <mount>/creds/<role>}, read from the role's {@code max_ttl} ({@code <mount>/roles/<role>})
 * bounded by the mount's {@code max_lease_ttl} ({@code sys/mounts/<mount>/tune}), re-read at most
 * hourly (see {@link Builder#readRoleMaxTtl(boolean)}). A policy that does not allow these reads
 * costs nothing but the announcement: it is logged once at INFO and the fetch goes on.
 *
 * <p>Needs {@code read} on the path, {@code update} on {@code sys/leases/renew} and
 * {@code sys/leases/revoke}; optionally {@code read} on {@code <mount>/roles/<role>} and
 * {@code sys/mounts/<mount>/tune}. Thread-safe.
 */
public final class VaultLeaseProvider implements CredentialProvider {

  /** Metadata key: the duration Vault granted at issue, in seconds (used as the renewal increment). */
  public static final String LEASE_DURATION = "lease_duration";

  private static final Logger LOG = LoggerFactory.getLogger(VaultLeaseProvider.class);
  private static final String RENEW_PATH = "sys/leases/renew";
  private static final String REVOKE_PATH = "sys/leases/revoke";

  private final VaultSession session;
  private final String path;
  private final @Nullable Duration declaredMaxTtl;
  private final @Nullable RoleMaxTtl roleMaxTtl;
  /** Leases this provider issued, not revoked and not yet past their own end: who created them. */
  private final ConcurrentMap<String, Issued> issued = new ConcurrentHashMap<>();

  /** The token that created a lease, and the lease's own end (uncapped). */
  private record Issued(SessionToken creator, Instant leaseEnd) {}

  private VaultLeaseProvider(Builder b) {
    this.session = b.session;
    this.path = b.path;
    this.declaredMaxTtl = b.maxTtl;
    this.roleMaxTtl = b.maxTtl == null && b.readRoleMaxTtl != Boolean.FALSE ? RoleMaxTtl.forPath(b.path).orElse(null) : null;
  }

  /**
   * Reads {@code path} (e.g. {@code database/creds/orders-app}), which must answer with a lease,
   * with the default settings of {@link #builder(VaultSession, String)}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the path is blank
   */
  public static VaultLeaseProvider of(VaultSession session, String path) {
    return builder(session, path).build();
  }

  /**
   * Starts a provider that reads {@code path} (e.g. {@code database/creds/orders-app}), which must
   * answer with a lease.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the path is blank
   */
  public static Builder builder(VaultSession session, String path) {
    return new Builder(session, VaultAuth.requireMount(Objects.requireNonNull(path, "path")));
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
      Instant now = session.clock().instant();
      JsonObject body = session.transport().call(name, path, () -> st.logical().logical().read(path).getRestResponse());
      VaultJson json = new VaultJson(name, path);
      String leaseId = json.optionalString(body, "lease_id").orElseThrow(() -> new PermanentBackendException(
          name, VaultTransport.BACKEND, path, "the response carries no lease; " + noLeaseHint(path), null));
      long seconds = json.number(body, "lease_duration");
      boolean renewable = json.bool(body, "renewable", false);
      Map<String, String> data = VaultJson.flatten(json.object(body, "data"));
      forgetEnded(now);
      issued.put(leaseId, new Issued(st, now.plusSeconds(seconds)));
      Instant expiresAt = capped(now.plusSeconds(seconds), st, now, leaseId);
      Credential credential = Credential.builder(leaseId)
          .value(valueOf(data))
          .issuedAt(now)
          .expiresAt(expiresAt)
          .lease(leaseId, renewable)
          .metadata(LEASE_DURATION, Long.toString(seconds))
          .build();
      FetchResult.Builder result = FetchResult.builder(credential);
      if (renewable) {
        // after the lease read, so that an unreachable Vault costs one timeout, not two; never throws
        Optional<Duration> maxTtl = declaredMaxTtl != null ? Optional.of(declaredMaxTtl)
            : roleMaxTtl == null ? Optional.empty() : roleMaxTtl.get(session, st, name, now);
        maxTtl.ifPresent(max -> result.maxLeaseEnd(maxLeaseEnd(now, max, st, expiresAt)));
      }
      return result.build();
    });
  }

  /**
   * The latest end renewals can reach: issue time plus max TTL, but never after the end of the token
   * that created the lease (the lease dies with it) and never before the lease's own expiry.
   */
  static Instant maxLeaseEnd(Instant issuedAt, Duration maxTtl, SessionToken creator, Instant expiresAt) {
    Instant end = issuedAt.plus(maxTtl);
    Optional<Instant> tokenEnd = creator.knownEnd();
    if (tokenEnd.isPresent() && tokenEnd.get().isBefore(end)) {
      end = tokenEnd.get();
    }
    return end.isBefore(expiresAt) ? expiresAt : end;
  }

  /**
   * Renews the lease by the duration it was first granted and returns it with its new expiry,
   * again capped by the end of the token that created it.
   */
  @Override
  public Credential renew(Credential lease, FetchContext context) {
    String name = context.credentialName();
    String leaseId = lease.leaseId().orElseThrow(() -> new IllegalArgumentException(
        "credential version " + lease.version() + " has no lease id"));
    JsonObject request = new JsonObject().add("lease_id", leaseId);
    Optional.ofNullable(lease.metadata().get(LEASE_DURATION))
        .flatMap(VaultLeaseProvider::parseSeconds)
        .ifPresent(increment -> request.add("increment", increment));
    return session.withToken(name, st -> {
      Instant now = session.clock().instant();
      JsonObject body = session.transport().send(name, "PUT", RENEW_PATH, st.value(), request);
      VaultJson json = new VaultJson(name, RENEW_PATH);
      long seconds = json.number(body, "lease_duration");
      boolean renewable = json.bool(body, "renewable", lease.renewable());
      Issued known = issued.computeIfPresent(leaseId, (id, i) -> new Issued(i.creator(), now.plusSeconds(seconds)));
      Instant expiresAt = capped(now.plusSeconds(seconds), known == null ? null : known.creator(), now, leaseId);
      if (expiresAt.isBefore(lease.issuedAt())) {
        expiresAt = lease.issuedAt();
      }
      return lease.toBuilder().expiresAt(expiresAt).lease(leaseId, renewable).build();
    });
  }

  /** Revokes the lease; Vault drops the credential behind it (e.g. the database role). */
  @Override
  public void revoke(Credential lease) {
    String leaseId = lease.leaseId().orElseThrow(() -> new IllegalArgumentException(
        "credential version " + lease.version() + " has no lease id"));
    session.withToken(null, st -> session.transport().send(null, "PUT", REVOKE_PATH, st.value(),
        new JsonObject().add("lease_id", leaseId)));
    issued.remove(leaseId);
  }

  /** Leases past their own end are gone from Vault; nothing to cap or revoke any more. */
  private void forgetEnded(Instant now) {
    issued.values().removeIf(i -> i.leaseEnd().isBefore(now));
  }

  /** The lease ends at the earlier of its own end and the end of the token that created it. */
  private static Instant capped(Instant leaseEnd, @Nullable SessionToken creator, Instant now, String leaseId) {
    if (creator == null) {
      return leaseEnd;
    }
    Optional<Instant> tokenEnd = creator.knownEnd();
    if (tokenEnd.isEmpty() || !tokenEnd.get().isBefore(leaseEnd)) {
      return leaseEnd;
    }
    LOG.debug("lease {} reported as ending at {} with its token, before its own end {}", leaseId, tokenEnd.get(), leaseEnd);
    return tokenEnd.get().isBefore(now) ? now : tokenEnd.get();
  }

  private static SecretValue valueOf(Map<String, String> data) {
    if (data.size() == 2 && data.containsKey("username") && data.containsKey("password")) {
      return SecretValue.ofUsernamePassword(data.get("username"), data.get("password"));
    }
    return SecretValue.ofMap(data);
  }

  private static Optional<Long> parseSeconds(String text) {
    try {
      long s = Long.parseLong(text);
      return s > 0 ? Optional.of(s) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Leases this provider issued and has not revoked; for tests and diagnostics. */
  int trackedLeases() {
    return issued.size();
  }

  /** Where the max TTL comes from; for tests and diagnostics. */
  Optional<RoleMaxTtl> roleMaxTtl() {
    return Optional.ofNullable(roleMaxTtl);
  }

  @Override
  public String toString() {
    return "VaultLeaseProvider[" + session.backendId() + " " + path + "]";
  }


  /** What to read a path without a lease with instead. */
  static String noLeaseHint(String path) {
    if (path.contains("/static-creds/")) {
      return "a database static role has no lease (Vault rotates its password in place): read it with VaultStaticRoleProvider";
    }
    return "read static secrets (KV version 2) with VaultKvProvider";
  }

  /**
   * Builds a {@link VaultLeaseProvider}. Not thread-safe; each setting may be made once.
   */
  public static final class Builder {
    private final VaultSession session;
    private final String path;
    private @Nullable Duration maxTtl;
    private @Nullable Boolean readRoleMaxTtl;

    private Builder(VaultSession session, String path) {
      this.session = Objects.requireNonNull(session, "session");
      this.path = path;
    }

    /**
     * Declares how long renewals can keep a lease of this path alive (the role's or the mount's max
     * TTL), so that each fetch announces the lease's latest end without reading it from Vault. Not
     * set by default.
     *
     * @throws IllegalArgumentException if not greater than 0
     * @throws IllegalStateException if already set
     */
    public Builder maxTtl(Duration maxTtl) {
      Objects.requireNonNull(maxTtl, "maxTtl");
      if (maxTtl.isZero() || maxTtl.isNegative()) {
        throw new IllegalArgumentException("maxTtl must be greater than 0, but was " + maxTtl);
      }
      if (this.maxTtl != null) {
        throw new IllegalStateException("maxTtl was already set to " + this.maxTtl);
      }
      this.maxTtl = maxTtl;
      return this;
    }

    /**
     * Whether to read the max TTL of a database secrets engine path ({@code <mount>/creds/<role>})
     * from the role ({@code <mount>/roles/<role>}, field {@code max_ttl}) and the mount
     * ({@code sys/mounts/<mount>/tune}, field {@code max_lease_ttl}), at the first fetch and then at
     * most hourly. Default {@code true}; it has no effect on other paths. A read the policy does not
     * allow is logged once and never fails a fetch. Turn it off to save the two reads an hour, or
     * when a policy must not grant them and the INFO line is unwanted.
     *
     * @throws IllegalStateException if already set
     */
    public Builder readRoleMaxTtl(boolean read) {
      if (this.readRoleMaxTtl != null) {
        throw new IllegalStateException("readRoleMaxTtl was already set to " + this.readRoleMaxTtl);
      }
      this.readRoleMaxTtl = read;
      return this;
    }

    /**
     * The provider; it holds no connection of its own (the session does).
     *
     * @throws IllegalStateException if {@code maxTtl} was declared and {@code readRoleMaxTtl(true)}
     *     asked for too (the declared value would always win)
     */
    public VaultLeaseProvider build() {
      if (maxTtl != null && readRoleMaxTtl == Boolean.TRUE) {
        throw new IllegalStateException("maxTtl(" + maxTtl + ") was declared, so readRoleMaxTtl(true) would never be used; "
            + "set one of the two");
      }
      return new VaultLeaseProvider(this);
    }
  }
}
