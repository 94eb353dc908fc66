package io.github.rotate4j.testing;

import io.github.rotate4j.Credential;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A backend in memory that a test drives: rotate the secret, stage a pending version, make calls
 * fail (transiently or permanently), hold calls until released, or hand out leases that expire.
 * Counts every call, and the most calls that were ever in flight at once.
 *
 * <pre>{@code
 * ManualTime time = ManualTime.create();
 * InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
 *     .clock(time.clock()).initialValue("key-1").build();
 * backend.rotate("key-2");              // version "2" becomes current, "1" previous
 * backend.failNext(3, FailureKind.TRANSIENT);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class InMemoryCredentialProvider implements CredentialProvider {

  private final ReentrantLock lock = new ReentrantLock();
  private final Clock clock;
  private final String path;
  private final @Nullable Duration leaseTtl;
  private final @Nullable Duration leaseMaxTtl;
  private final boolean announceMaxTtl;
  private final boolean renewable;
  private final boolean reportPrevious;

  private final Deque<Credential> versions = new ArrayDeque<>(); // newest first
  private @Nullable Credential pending;
  private int nextVersion = 1;
  private int nextLease = 1;
  private final List<Issued> leases = new ArrayList<>();
  private final List<String> revoked = new ArrayList<>();

  private int failuresLeft;
  private FailureKind failureKind = FailureKind.TRANSIENT;
  private boolean failAlways;
  private @Nullable CountDownLatch gate;
  private CountDownLatch callArrived = new CountDownLatch(1);
  private Duration latency = Duration.ZERO;

  private final AtomicInteger fetchCalls = new AtomicInteger();
  private final AtomicInteger renewCalls = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  private record Issued(String leaseId, Instant issuedAt, Instant maxEnd, Instant end) {}

  private InMemoryCredentialProvider(Builder b) {
    this.clock = b.clock;
    this.path = b.path;
    this.leaseTtl = b.leaseTtl;
    this.leaseMaxTtl = b.leaseMaxTtl;
    this.announceMaxTtl = b.announceMaxTtl;
    this.renewable = b.renewable;
    this.reportPrevious = b.reportPrevious;
    if (b.initialValue != null) {
      addVersion(b.initialValue);
    }
  }

  /** Starts configuring an in-memory backend. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String backend() {
    return "in-memory";
  }

  @Override
  public String path() {
    return path;
  }

  // ---- driving the backend ----------------------------------------------------------------

  /** Stores a new version as current; the old current becomes previous. Returns the new version id. */
  public String rotate(String value) {
    return rotate(SecretValue.ofString(value));
  }

  /** Stores a new version as current; the old current becomes previous. Returns the new version id. */
  public String rotate(SecretValue value) {
    lock.lock();
    try {
      pending = null;
      return addVersion(value).version();
    } finally {
      lock.unlock();
    }
  }

  /** Stages a pending version (like AWSPENDING); returns its version id. */
  public String stage(String value) {
    lock.lock();
    try {
      pending = Credential.builder(String.valueOf(nextVersion++)).value(SecretValue.ofString(value))
          .issuedAt(clock.instant()).build();
      return pending.version();
    } finally {
      lock.unlock();
    }
  }

  /** Promotes the pending version to current. */
  public void promote() {
    lock.lock();
    try {
      if (pending == null) {
        throw new IllegalStateException("nothing is staged at " + path);
      }
      versions.addFirst(pending);
      pending = null;
    } finally {
      lock.unlock();
    }
  }

  /** Sets when the current version is due to be rotated (like Vault's {@code next_rotation} metadata). */
  public void nextRotation(Instant due) {
    lock.lock();
    try {
      Credential current = versions.removeFirst();
      versions.addFirst(current.toBuilder().nextRotation(due).build());
    } finally {
      lock.unlock();
    }
  }

  /** The next {@code count} calls fail with the given kind. */
  public void failNext(int count, FailureKind kind) {
    lock.lock();
    try {
      failuresLeft = count;
      failureKind = Objects.requireNonNull(kind, "kind");
    } finally {
      lock.unlock();
    }
  }

  /** Every call fails with the given kind until {@link #recover()}. */
  public void failAlways(FailureKind kind) {
    lock.lock();
    try {
      failAlways = true;
      failureKind = Objects.requireNonNull(kind, "kind");
    } finally {
      lock.unlock();
    }
  }

  /** Stops failing. */
  public void recover() {
    lock.lock();
    try {
      failAlways = false;
      failuresLeft = 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Holds every call until {@link #release()}: a slow backend. Use {@link #awaitCall} to wait until
   * a call has arrived.
   */
  public void hold() {
    lock.lock();
    try {
      if (gate == null) {
        gate = new CountDownLatch(1);
      }
      callArrived = new CountDownLatch(1);
    } finally {
      lock.unlock();
    }
  }

  /** Lets held calls (and future ones) through. */
  public void release() {
    lock.lock();
    try {
      if (gate != null) {
        gate.countDown();
        gate = null;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Waits (real time) until a call arrives after {@link #hold()}; true if one did. */
  public boolean awaitCall(Duration timeout) throws InterruptedException {
    CountDownLatch arrived;
    lock.lock();
    try {
      arrived = callArrived;
    } finally {
      lock.unlock();
    }
    return arrived.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Adds real latency to every call (for demos; unit tests should use {@link #hold()}). */
  public void latency(Duration latency) {
    this.latency = Objects.requireNonNull(latency, "latency");
  }

  /** Ends every lease issued so far now: renewals of them fail permanently, as after a backend restart. */
  public void expireLeases() {
    lock.lock();
    try {
      Instant now = clock.instant();
      leases.replaceAll(l -> new Issued(l.leaseId(), l.issuedAt(), now, l.end().isAfter(now) ? now : l.end()));
    } finally {
      lock.unlock();
    }
  }

  // ---- observing the backend --------------------------------------------------------------

  /** Fetch calls so far (including failed ones). */
  public int fetchCount() {
    return fetchCalls.get();
  }

  /** Renew calls so far (including failed ones). */
  public int renewCount() {
    return renewCalls.get();
  }

  /** The most fetch/renew calls ever in flight at the same time. */
  public int maxConcurrentCalls() {
    return maxInFlight.get();
  }

  /** Lease ids issued so far, in order. */
  public List<String> issuedLeases() {
    lock.lock();
    try {
      return leases.stream().map(Issued::leaseId).toList();
    } finally {
      lock.unlock();
    }
  }

  /** When the backend ends a lease it issued (after its last renewal), if it issued one by that id. */
  public Optional<Instant> leaseEnd(String leaseId) {
    lock.lock();
    try {
      return leases.stream().filter(l -> l.leaseId().equals(leaseId)).map(Issued::end).findFirst();
    } finally {
      lock.unlock();
    }
  }

  /** Lease ids revoked so far, in order. */
  public List<String> revokedLeases() {
    lock.lock();
    try {
      return List.copyOf(revoked);
    } finally {
      lock.unlock();
    }
  }

  /** The current version id. */
  public String currentVersion() {
    lock.lock();
    try {
      return versions.getFirst().version();
    } finally {
      lock.unlock();
    }
  }

  // ---- SPI --------------------------------------------------------------------------------

  @Override
  public FetchResult fetch(FetchContext context) {
    fetchCalls.incrementAndGet();
    enter();
    try {
      lock.lock();
      try {
        maybeFail("fetch");
        if (versions.isEmpty()) {
          throw new PermanentBackendException(context.credentialName(), backend(), path, "no secret stored", null);
        }
        Credential current = versions.getFirst();
        if (leaseTtl != null) {
          current = issueLease(current);
        }
        FetchResult.Builder r = FetchResult.builder(current).pending(pending);
        if (announceMaxTtl && renewable && leaseMaxTtl != null) {
          r.maxLeaseEnd(current.issuedAt().plus(leaseMaxTtl));
        }
        if (reportPrevious && versions.size() > 1 && leaseTtl == null) {
          r.previous(versions.stream().skip(1).findFirst().orElseThrow());
        }
        return r.build();
      } finally {
        lock.unlock();
      }
    } finally {
      exit();
    }
  }

  @Override
  public Credential renew(Credential lease, FetchContext context) {
    renewCalls.incrementAndGet();
    enter();
    try {
      lock.lock();
      try {
        maybeFail("renew");
        Instant now = clock.instant();
        String id = lease.leaseId().orElseThrow(() -> new IllegalArgumentException("not a lease: " + lease));
        Issued issued = leases.stream().filter(l -> l.leaseId().equals(id)).findFirst().orElse(null);
        if (issued == null || revoked.contains(id) || !now.isBefore(issued.maxEnd())
            || lease.isExpiredAt(now)) {
          throw new PermanentBackendException(context.credentialName(), backend(), path,
              "lease " + id + " not found or expired", null);
        }
        Instant end = now.plus(leaseTtl);
        if (end.isAfter(issued.maxEnd())) {
          end = issued.maxEnd();
        }
        Instant renewedEnd = end;
        leases.replaceAll(l -> l == issued ? new Issued(l.leaseId(), l.issuedAt(), l.maxEnd(), renewedEnd) : l);
        return lease.toBuilder().expiresAt(end).build();
      } finally {
        lock.unlock();
      }
    } finally {
      exit();
    }
  }

  @Override
  public void revoke(Credential lease) {
    lock.lock();
    try {
      lease.leaseId().ifPresent(revoked::add);
    } finally {
      lock.unlock();
    }
  }

  private Credential issueLease(Credential base) {
    Instant now = clock.instant();
    String id = path + "/lease-" + nextLease++;
    Instant maxEnd = now.plus(leaseMaxTtl);
    Instant end = now.plus(leaseTtl);
    leases.add(new Issued(id, now, maxEnd, end.isAfter(maxEnd) ? maxEnd : end));
    return Credential.builder(id).value(base.value()).issuedAt(now)
        .expiresAt(end.isAfter(maxEnd) ? maxEnd : end).lease(id, renewable).build();
  }

  private Credential addVersion(SecretValue value) {
    Credential c = Credential.builder(String.valueOf(nextVersion++)).value(value).issuedAt(clock.instant()).build();
    versions.addFirst(c);
    return c;
  }

  private void maybeFail(String operation) {
    if (failAlways || failuresLeft > 0) {
      if (failuresLeft > 0) {
        failuresLeft--;
      }
      String message = operation + " failed (simulated " + failureKind.name().toLowerCase() + " failure)";
      throw failureKind == FailureKind.TRANSIENT
          ? new TransientBackendException(backend(), path, message, null)
          : new PermanentBackendException(backend(), path, message, null);
    }
  }

  private void enter() {
    int n = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(n, Math::max);
    CountDownLatch g;
    lock.lock();
    try {
      g = gate;
      callArrived.countDown();
    } finally {
      lock.unlock();
    }
    try {
      if (g != null) {
        g.await();
      }
      if (!latency.isZero()) {
        Thread.sleep(latency.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inFlight.decrementAndGet();
      throw new TransientBackendException(backend(), path, "interrupted", e);
    }
  }

  private void exit() {
    inFlight.decrementAndGet();
  }

  @Override
  public String toString() {
    return "InMemoryCredentialProvider[" + path + "]";
  }

  /** Configures an {@link InMemoryCredentialProvider}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private String path = "memory/secret";
    private @Nullable SecretValue initialValue;
    private @Nullable Duration leaseTtl;
    private @Nullable Duration leaseMaxTtl;
    private boolean renewable;
    private boolean reportPrevious = true;
    private boolean announceMaxTtl = true;

    private Builder() {}

    /** The clock for issue and expiry times; use {@link ManualTime#clock()} in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The path shown in messages (default {@code memory/secret}). */
    public Builder path(String path) {
      this.path = Objects.requireNonNull(path, "path");
      return this;
    }

    /** The first version, stored as version "1". */
    public Builder initialValue(String value) {
      return initialValue(SecretValue.ofString(value));
    }

    public Builder initialValue(SecretValue value) {
      this.initialValue = Objects.requireNonNull(value, "value");
      return this;
    }

    /**
     * Every fetch issues a new lease of the current value lasting {@code ttl}, never past
     * {@code maxTtl} after issue; renewals extend by {@code ttl} up to that maximum.
     */
    public Builder leases(Duration ttl, Duration maxTtl, boolean renewable) {
      Objects.requireNonNull(ttl, "ttl");
      Objects.requireNonNull(maxTtl, "maxTtl");
      if (ttl.isZero() || ttl.isNegative()) {
        throw new IllegalArgumentException("lease ttl must be greater than 0, but was " + ttl);
      }
      if (maxTtl.compareTo(ttl) < 0) {
        throw new IllegalArgumentException("lease maxTtl must be at least ttl " + ttl + ", but was " + maxTtl);
      }
      this.leaseTtl = ttl;
      this.leaseMaxTtl = maxTtl;
      this.renewable = renewable;
      return this;
    }

    /** Whether fetches report the previous version, like AWSPREVIOUS (default true). */
    public Builder reportPrevious(boolean report) {
      this.reportPrevious = report;
      return this;
    }

    /**
     * Whether a new renewable lease comes with its max TTL ({@link FetchResult#maxLeaseEnd()}), as
     * Vault's provider reports it when it can read the role (default true: this backend knows it).
     * With false the engine learns it from the first renewal that comes back short, as with a
     * backend that does not say.
     */
    public Builder announceMaxTtl(boolean announce) {
      this.announceMaxTtl = announce;
      return this;
    }

    public InMemoryCredentialProvider build() {
      return new InMemoryCredentialProvider(this);
    }
  }
}
