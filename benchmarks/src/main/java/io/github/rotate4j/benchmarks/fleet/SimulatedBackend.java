package io.github.rotate4j.benchmarks.fleet;

import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * One backend shared by a simulated fleet: it issues static versions or leases, can be taken down
 * for an outage, and records the time, caller and outcome of every call. Single-threaded (the
 * simulation runs everything on the thread that advances the manual time).
 */
final class SimulatedBackend {

  /** What the backend serves. */
  enum Kind {
    /** Renewable leases, TTL 60 s, max TTL 10 min. */
    RENEWABLE_LEASE,
    /** Non-renewable leases of 10 min. */
    FIXED_LEASE,
    /** A static secret that never changes (polled). */
    STATIC
  }

  static final Duration LEASE_TTL = Duration.ofSeconds(60);
  static final Duration LEASE_MAX_TTL = Duration.ofMinutes(10);

  private final Kind kind;
  private final Clock clock;
  private boolean announcesMaxTtl = true;
  private final Instant origin;
  private Instant downFrom = Instant.MAX;
  private Instant downUntil = Instant.MAX;
  private long leases;

  private long[] times = new long[1 << 16];
  private int[] callers = new int[1 << 16];
  private boolean[] succeeded = new boolean[1 << 16];
  private int calls;
  private boolean recording = true;

  SimulatedBackend(Kind kind, Clock clock) {
    this.kind = kind;
    this.clock = clock;
    this.origin = clock.instant();
  }

  /**
   * Whether a new lease comes with its max TTL ({@link FetchResult#maxLeaseEnd()}), as Vault's
   * provider reports when it can read the role; when not, the engine learns it from the first
   * renewal that comes back short. Default on.
   */
  void announcesMaxTtl(boolean announces) {
    this.announcesMaxTtl = announces;
  }

  /** Every call in [from, from + length) fails transiently. */
  void outage(Instant from, Duration length) {
    this.downFrom = from;
    this.downUntil = from.plus(length);
  }

  Instant origin() {
    return origin;
  }

  /** Calls recorded so far. */
  int calls() {
    return calls;
  }

  /** Time of call {@code i}, in milliseconds since the origin. */
  long timeMillis(int i) {
    return times[i];
  }

  int caller(int i) {
    return callers[i];
  }

  boolean succeeded(int i) {
    return succeeded[i];
  }

  /** Stops recording calls (memory measurements must not count the log). */
  void stopRecording() {
    recording = false;
  }

  CredentialProvider providerFor(int instance) {
    return new Provider(instance);
  }

  private boolean record(int instance) {
    Instant now = clock.instant();
    boolean up = now.isBefore(downFrom) || !now.isBefore(downUntil);
    if (!recording) {
      return up;
    }
    if (calls == times.length) {
      int n = calls * 2;
      times = Arrays.copyOf(times, n);
      callers = Arrays.copyOf(callers, n);
      succeeded = Arrays.copyOf(succeeded, n);
    }
    times[calls] = Duration.between(origin, now).toMillis();
    callers[calls] = instance;
    succeeded[calls] = up;
    calls++;
    return up;
  }

  private final class Provider implements CredentialProvider {
    private final int instance;
    private final String path;

    Provider(int instance) {
      this.instance = instance;
      this.path = kind == Kind.STATIC ? "secret/app" : "database/creds/app";
    }

    @Override
    public String backend() {
      return "simulated";
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public FetchResult fetch(FetchContext context) {
      if (!record(instance)) {
        throw new TransientBackendException(context.credentialName(), backend(), path, "backend unavailable (503)", null);
      }
      Instant now = clock.instant();
      if (kind == Kind.STATIC) {
        return FetchResult.of(Credential.builder("1").value(SecretValue.ofString("static-secret")).issuedAt(origin).build());
      }
      String id = "lease-" + (++leases);
      Duration ttl = kind == Kind.RENEWABLE_LEASE ? LEASE_TTL : LEASE_MAX_TTL;
      Credential lease = Credential.builder(id)
          .value(SecretValue.ofUsernamePassword("v-app-" + leases, "password"))
          .issuedAt(now)
          .expiresAt(now.plus(ttl))
          .lease(id, kind == Kind.RENEWABLE_LEASE)
          .metadata("max_end", now.plus(LEASE_MAX_TTL).toString())
          .build();
      return FetchResult.builder(lease)
          .maxLeaseEnd(kind == Kind.RENEWABLE_LEASE && announcesMaxTtl ? now.plus(LEASE_MAX_TTL) : null)
          .build();
    }

    @Override
    public Credential renew(Credential lease, FetchContext context) {
      if (!record(instance)) {
        throw new TransientBackendException(context.credentialName(), backend(), path, "backend unavailable (503)", null);
      }
      Instant now = clock.instant();
      Instant maxEnd = Instant.parse(lease.metadata().get("max_end"));
      if (lease.isExpiredAt(now) || !now.isBefore(maxEnd)) {
        throw new PermanentBackendException(context.credentialName(), backend(), path,
            "lease " + lease.version() + " expired", null);
      }
      Instant end = now.plus(LEASE_TTL);
      return lease.toBuilder().expiresAt(end.isAfter(maxEnd) ? maxEnd : end).build();
    }

    @Override
    public void revoke(Credential lease) {
      // the simulation counts refresh traffic only
    }
  }
}
