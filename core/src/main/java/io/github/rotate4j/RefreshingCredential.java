package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.event.CircuitStateChanged;
import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialExpired;
import io.github.rotate4j.event.CredentialExpiring;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialOverdue;
import io.github.rotate4j.event.CredentialRenewed;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresh engine behind {@link RotatingCredential}.
 *
 * <p>Readers see one immutable {@link Snapshot} through a volatile field. Every state change is
 * decided under {@link #lock} (never held across I/O or user code), then published by replacing the
 * snapshot whole; futures are completed and events dispatched after the lock is released.
 *
 * <p>Refresh work is a <em>cycle</em>: one or more attempts (retries) at one action, fetch or renew.
 * At most one cycle is in flight (single-flight); on-demand callers join it. Every cycle ends by
 * scheduling the next one, whether it succeeded or gave up, so refreshing never stops.
 */
final class RefreshingCredential extends RotatingCredential {

  private static final Logger log = LoggerFactory.getLogger(RotatingCredential.class);

  /** A renewal that returns less than this share of the lease's TTL has hit the max TTL. */
  private static final double NEAR_MAX_TTL_SHARE = 0.9;

  private enum Action { FETCH, RENEW }

  private enum Phase { NOT_STARTED, ACTIVE, EXPIRED, CLOSED }

  /** What readers see; replaced whole on every change. */
  private static final class Snapshot {
    static final Snapshot NOT_STARTED = new Snapshot(null, null, Phase.NOT_STARTED);
    final @Nullable Credential servable; // null when get() must throw
    final @Nullable KeyRing ring; // null before the first fetch
    final Phase phase;

    Snapshot(@Nullable Credential servable, @Nullable KeyRing ring, Phase phase) {
      this.servable = servable;
      this.ring = ring;
      this.phase = phase;
    }
  }

  /** One refresh cycle: attempts at one action, sharing one result future. */
  private static final class Cycle {
    final FetchReason reason;
    Action action;
    int attempts;
    boolean waitingForRetry;
    final CompletableFuture<Credential> result = new CompletableFuture<>();

    Cycle(FetchReason reason, Action action) {
      this.reason = reason;
      this.action = action;
    }
  }

  private final String name;
  private final CredentialProvider provider;
  private final RefreshPolicy policy;
  private final int maxAttempts;
  private final IntervalBiFunction<Object> backoff;
  private final Predicate<Throwable> retryOn;
  private final CircuitBreaker breaker;
  private final EngineContext context;
  private final boolean ownsContext;
  private final RandomGenerator random;
  private final Predicate<Throwable> isRejection;
  private final boolean lazy;
  private final boolean revokeOnClose;
  private final @Nullable String keyField;
  private final List<CredentialListener> listeners = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<String, LongAdder> matches = new ConcurrentHashMap<>();
  private final Map<KeySlot, LongAdder> slotMatches = new java.util.EnumMap<>(Map.of(
      KeySlot.CURRENT, new LongAdder(), KeySlot.PENDING, new LongAdder(), KeySlot.PREVIOUS, new LongAdder()));

  private volatile Snapshot snapshot = Snapshot.NOT_STARTED;
  /** The hot path's one volatile field: always {@code snapshot.servable}, written right after it. */
  private volatile @Nullable Credential servable;

  private final ReentrantLock lock = new ReentrantLock();
  // everything below is guarded by lock
  private boolean started;
  private @Nullable Cycle inFlight;
  private Scheduler.@Nullable Cancellable refreshTask;
  private @Nullable Instant nextRefreshAt;
  private Scheduler.@Nullable Cancellable expiryTask;
  private Scheduler.@Nullable Cancellable warningTask;
  private Scheduler.@Nullable Cancellable pruneTask;
  private Scheduler.@Nullable Cancellable overdueTask;
  private @Nullable Instant lastSuccess;
  private CredentialStatus.@Nullable Failure lastFailure;
  private int consecutiveFailures;
  private @Nullable Instant lastForcedRefresh;
  private @Nullable Duration leaseTtl;
  private boolean nearMaxTtl;
  private @Nullable String overdueReported;
  private long successfulRefreshes;
  private long failedAttempts;
  private long rotations;
  private final Map<String, Credential> issuedLeases = new LinkedHashMap<>();

  RefreshingCredential(RotatingCredentialBuilder b, @Nullable EngineContext shared) {
    this.name = b.name;
    this.provider = b.provider;
    this.policy = b.policy != null ? b.policy : RefreshPolicy.ofDefaults();
    RetryConfig retry = b.retryConfig != null ? b.retryConfig : RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG;
    this.maxAttempts = retry.getMaxAttempts();
    this.backoff = retry.getIntervalBiFunction();
    this.retryOn = retry.getExceptionPredicate();
    if (shared != null) {
      if (b.clock != null || b.scheduler != null || b.ioExecutor != null || b.eventExecutor != null) {
        throw new IllegalStateException("credential '" + name
            + "' belongs to a registry: set clock, scheduler and executors on the registry");
      }
      this.context = shared;
      this.ownsContext = false;
    } else {
      this.context = new EngineContext(b.clock, b.scheduler, b.ioExecutor, b.eventExecutor);
      this.ownsContext = true;
    }
    if (b.circuitBreaker != null) {
      this.breaker = b.circuitBreaker;
    } else {
      this.breaker = context.breakerFor(provider.backendId(), b.circuitBreakerConfig != null
          ? b.circuitBreakerConfig : RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG);
    }
    this.random = b.random != null ? b.random : RandomGeneratorFactory.of("L64X128MixRandom").create();
    this.isRejection = b.rejectionClassifier != null ? b.rejectionClassifier : RefreshingCredential::hasRejectionCause;
    this.lazy = Boolean.TRUE.equals(b.lazyStart);
    this.revokeOnClose = !Boolean.FALSE.equals(b.revokeOnClose);
    this.keyField = b.keyField;
    this.listeners.addAll(b.listeners);
    breaker.getEventPublisher().onStateTransition(e -> {
      if (snapshot.phase != Phase.CLOSED) {
        emit(new CircuitStateChanged(name, context.clock.instant(), provider.backendId(),
            e.getStateTransition().getFromState(), e.getStateTransition().getToState()));
      }
    });
  }

  // ---- hot path ---------------------------------------------------------------------------

  @Override
  public Credential get() {
    Credential c = servable;
    if (c != null) {
      return c;
    }
    throw unavailable(snapshot);
  }

  /** Under lock: replaces what readers see. */
  private void publish(Snapshot s) {
    snapshot = s;
    servable = s.servable;
  }

  private CredentialException unavailable(Snapshot s) {
    return switch (s.phase) {
      case EXPIRED -> new CredentialExpiredException(name, provider.backend(), provider.path(),
          "credential version " + java.util.Objects.requireNonNull(s.ring).current().version() + " expired at "
              + java.util.Objects.requireNonNull(s.ring).current().expiresAt().map(Instant::toString).orElse("?")
              + " and no replacement could be fetched" + lastFailureSuffix());
      case CLOSED -> new CredentialUnavailableException(name, provider.backend(), provider.path(), "closed", null);
      default -> new CredentialUnavailableException(name, provider.backend(), provider.path(),
          started() ? "no credential fetched yet" + lastFailureSuffix() : "not started: call start() first", null);
    };
  }

  private boolean started() {
    lock.lock();
    try {
      return started;
    } finally {
      lock.unlock();
    }
  }

  private String lastFailureSuffix() {
    lock.lock();
    try {
      return lastFailure == null ? "" : " (last failure: " + lastFailure.message() + ")";
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyRing keyRing() {
    KeyRing ring = snapshot.ring;
    if (ring == null) {
      throw unavailable(snapshot);
    }
    return ring;
  }

  // ---- start --------------------------------------------------------------------------------

  @Override
  public RotatingCredential start() {
    CompletableFuture<RotatingCredential> f = startAsync();
    if (lazy) {
      return this;
    }
    // the start-up deadline runs on the credential's scheduler; this real-time bound only guards
    // against a scheduler that never runs (it is never shorter than the policy's timeout)
    long waitMillis = policy.startupTimeout().plus(policy.attemptTimeout()).toMillis();
    try {
      return f.get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CredentialException ce) {
        throw ce;
      }
      throw new CredentialStartupException(name, provider.backend(), provider.path(), "start failed", e.getCause());
    } catch (TimeoutException e) {
      CredentialStartupException failure = new CredentialStartupException(name, provider.backend(), provider.path(),
          "no credential within the start-up timeout of " + policy.startupTimeout() + lastFailureSuffix(), e);
      close();
      throw failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new CredentialStartupException(name, provider.backend(), provider.path(), "interrupted while starting", e);
    }
  }

  @Override
  public CompletableFuture<RotatingCredential> startAsync() {
    Cycle cycle;
    lock.lock();
    try {
      if (snapshot.phase == Phase.CLOSED) {
        throw new IllegalStateException("credential '" + name + "' is closed");
      }
      if (started) {
        throw new IllegalStateException("credential '" + name + "' was already started");
      }
      started = true;
      cycle = new Cycle(FetchReason.STARTUP, Action.FETCH);
      inFlight = cycle;
    } finally {
      lock.unlock();
    }
    CompletableFuture<RotatingCredential> ready = new CompletableFuture<>();
    if (!lazy) {
      Scheduler.Cancellable deadline = context.scheduler.schedule(() -> failStartup(cycle,
          new TimeoutException("no credential within the start-up timeout of " + policy.startupTimeout()
              + lastFailureSuffix())),
          policy.startupTimeout());
      cycle.result.whenComplete((c, e) -> deadline.cancel());
    }
    cycle.result.whenComplete((c, e) -> {
      if (e == null) {
        ready.complete(this);
      } else {
        Throwable cause = unwrap(e);
        ready.completeExceptionally(new CredentialStartupException(name, provider.backend(), provider.path(),
            "could not fetch the first credential: " + reasonOf(cause), cause));
      }
    });
    if (lazy) {
      ready.complete(this);
    }
    runAttempt(cycle, 0);
    return ready;
  }

  private void failStartup(Cycle cycle, Throwable why) {
    lock.lock();
    try {
      if (inFlight != cycle || cycle.result.isDone()) {
        return;
      }
      inFlight = null;
    } finally {
      lock.unlock();
    }
    cycle.result.completeExceptionally(why);
    close();
  }

  // ---- on-demand refresh ------------------------------------------------------------------

  @Override
  public CompletableFuture<Credential> refreshNow() {
    return onDemand(FetchReason.ON_DEMAND, null);
  }

  @Override
  public CompletableFuture<Credential> reportRejected(Credential rejected) {
    return onDemand(FetchReason.REJECTED, rejected);
  }

  private CompletableFuture<Credential> onDemand(FetchReason reason, @Nullable Credential rejected) {
    Cycle cycle;
    int runAfter = -1; // attempts so far of the cycle whose next attempt runs now, or -1
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (!started || s.phase == Phase.CLOSED) {
        return CompletableFuture.failedFuture(unavailable(s));
      }
      Instant now = context.clock.instant();
      Credential current = s.servable;
      if (rejected != null && current != null && !current.version().equals(rejected.version())) {
        return CompletableFuture.completedFuture(current); // already replaced
      }
      boolean forceAllowed = rejected == null || current == null || lastForcedRefresh == null
          || Duration.between(lastForcedRefresh, now).compareTo(policy.rejectionRateLimit()) >= 0;
      if (inFlight != null) {
        cycle = inFlight;
        if (cycle.waitingForRetry && forceAllowed) {
          // the cycle is only waiting out a backoff: an explicit refresh runs its next attempt now
          cancel(refreshTask);
          runAfter = cycle.attempts;
        }
      } else {
        if (!forceAllowed) {
          log.debug("credential '{}': rejection of version {} ignored, last forced refresh at {}",
              name, rejected == null ? null : rejected.version(), lastForcedRefresh);
          return CompletableFuture.completedFuture(current);
        }
        cycle = new Cycle(reason, Action.FETCH);
        inFlight = cycle;
        cancel(refreshTask);
        runAfter = 0;
      }
      if (rejected != null && runAfter >= 0) {
        lastForcedRefresh = now;
        log.info("credential '{}': version {} was rejected downstream, refreshing", name, rejected.version());
      }
    } finally {
      lock.unlock();
    }
    if (runAfter >= 0) {
      runAttempt(cycle, runAfter);
    }
    return cycle.result.copy();
  }

  private void onScheduledRefresh(Action action) {
    Cycle cycle;
    lock.lock();
    try {
      if (snapshot.phase == Phase.CLOSED || inFlight != null) {
        return; // the cycle in flight schedules the next one when it ends
      }
      cycle = new Cycle(FetchReason.SCHEDULED, action);
      inFlight = cycle;
    } finally {
      lock.unlock();
    }
    runAttempt(cycle, 0);
  }

  // ---- attempts -----------------------------------------------------------------------------

  /** Runs the next attempt of {@code cycle}, unless another one ran since {@code attemptsSoFar} was read. */
  private void runAttempt(Cycle cycle, int attemptsSoFar) {
    final Action action;
    final int attempt;
    final FetchContext ctx;
    final Credential current;
    lock.lock();
    try {
      if (inFlight != cycle || snapshot.phase == Phase.CLOSED || cycle.attempts != attemptsSoFar) {
        return;
      }
      cycle.waitingForRetry = false;
      attempt = ++cycle.attempts;
      KeyRing ring = snapshot.ring;
      current = ring == null ? null : ring.current();
      action = cycle.action == Action.RENEW && current != null && current.renewable() ? Action.RENEW : Action.FETCH;
      cycle.action = action;
      ctx = new FetchContext(name, cycle.reason, Optional.ofNullable(ring));
      refreshTask = null;
      nextRefreshAt = null;
    } finally {
      lock.unlock();
    }
    if (!breaker.tryAcquirePermission()) {
      onAttemptFailed(cycle, attempt, new TransientBackendException(name, provider.backend(), provider.path(),
          "circuit breaker for " + provider.backendId() + " is open; backend not called",
          CallNotPermittedException.createCallNotPermittedException(breaker)), true);
      return;
    }
    long startNanos = System.nanoTime();
    AtomicBoolean settled = new AtomicBoolean();
    Scheduler.Cancellable timeout = context.scheduler.schedule(() -> {
      if (settled.compareAndSet(false, true)) {
        TransientBackendException e = new TransientBackendException(name, provider.backend(), provider.path(),
            (action == Action.RENEW ? "renewal" : "fetch") + " got no answer within " + policy.attemptTimeout(),
            new TimeoutException());
        breaker.onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, e);
        onAttemptFailed(cycle, attempt, e, false);
      }
    }, policy.attemptTimeout());
    Runnable call = () -> {
      Object result = null;
      Throwable error = null;
      try {
        result = action == Action.RENEW ? provider.renew(java.util.Objects.requireNonNull(current), ctx) : provider.fetch(ctx);
        if (result == null) {
          error = new PermanentBackendException(name, provider.backend(), provider.path(),
              "provider returned nothing from " + action.name().toLowerCase(), null);
        }
      } catch (RuntimeException | LinkageError e) {
        error = e;
      }
      if (!settled.compareAndSet(false, true)) {
        log.debug("credential '{}': {} answered after its timeout; answer ignored", name, action);
        return;
      }
      timeout.cancel();
      long elapsed = System.nanoTime() - startNanos;
      if (error == null) {
        breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
        onAttemptSucceeded(cycle, attempt, action, java.util.Objects.requireNonNull(result));
      } else {
        breaker.onError(elapsed, TimeUnit.NANOSECONDS, error);
        onAttemptFailed(cycle, attempt, error, false);
      }
    };
    try {
      context.io.execute(call);
    } catch (RejectedExecutionException e) {
      if (settled.compareAndSet(false, true)) {
        timeout.cancel();
        breaker.releasePermission();
        onAttemptFailed(cycle, attempt, new TransientBackendException(name, provider.backend(), provider.path(),
            "I/O executor rejected the call", e), false);
      }
    }
  }

  private void onAttemptSucceeded(Cycle cycle, int attempt, Action action, Object result) {
    Credential fresh = action == Action.RENEW ? (Credential) result : ((FetchResult) result).current();
    if (fresh.isExpiredAt(context.clock.instant())) {
      onAttemptFailed(cycle, attempt, new PermanentBackendException(name, provider.backend(), provider.path(),
          "backend returned version " + fresh.version() + " already expired at " + fresh.expiresAt().orElseThrow(),
          null), false);
      return;
    }
    List<CredentialEvent> events = new ArrayList<>();
    Credential served;
    lock.lock();
    try {
      if (inFlight != cycle || snapshot.phase == Phase.CLOSED) {
        return;
      }
      Instant time = context.clock.instant();
      if (action == Action.RENEW) {
        applyRenewal(fresh, time, events);
      } else {
        applyFetch((FetchResult) result, time, events);
      }
      inFlight = null;
      lastSuccess = time;
      consecutiveFailures = 0;
      successfulRefreshes++;
      served = snapshot.servable;
      planNext(time);
      scheduleLifecycle(time);
    } finally {
      lock.unlock();
    }
    cycle.result.complete(served);
    events.forEach(this::emit);
  }

  private void applyFetch(FetchResult r, Instant now, List<CredentialEvent> events) {
    Snapshot s = snapshot;
    Credential old = s.ring == null ? null : s.ring.current();
    Credential fresh = r.current();
    boolean rotated = old != null && !old.version().equals(fresh.version());
    String pendingVersion = r.pending().map(Credential::version).orElse(null);

    List<KeyRing.Entry> previous = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    seen.add(fresh.version());
    if (pendingVersion != null) {
      seen.add(pendingVersion);
    }
    Duration grace = policy.gracePeriod();
    if (rotated && old != null && !grace.isZero() && !old.isExpiredAt(now)) {
      previous.add(new KeyRing.Entry(old, KeySlot.PREVIOUS, earliest(now.plus(grace), old.expiresAt().orElse(null))));
      seen.add(old.version());
    }
    if (s.ring != null) {
      for (KeyRing.Entry e : java.util.Objects.requireNonNull(s.ring).entries()) {
        if (e.slot() == KeySlot.PREVIOUS && e.isValidAt(now) && seen.add(e.credential().version())) {
          previous.add(e);
        }
      }
    }
    Instant graceBase = fresh.issuedAt().isAfter(now) ? now : fresh.issuedAt();
    for (Credential p : r.previous()) {
      if (!grace.isZero() && seen.add(p.version())) {
        KeyRing.Entry e = new KeyRing.Entry(p, KeySlot.PREVIOUS, earliest(graceBase.plus(grace), p.expiresAt().orElse(null)));
        if (e.isValidAt(now)) {
          previous.add(e);
        }
      }
    }
    previous.sort(Comparator.comparing((KeyRing.Entry e) -> e.credential().issuedAt()).reversed());

    List<KeyRing.Entry> entries = new ArrayList<>();
    entries.add(new KeyRing.Entry(fresh, KeySlot.CURRENT, fresh.expiresAt().orElse(null)));
    r.pending().filter(p -> !p.version().equals(fresh.version()))
        .ifPresent(p -> entries.add(new KeyRing.Entry(p, KeySlot.PENDING, p.expiresAt().orElse(null))));
    entries.addAll(previous);
    KeyRing ring = KeyRing.of(entries);

    if (old == null || rotated || s.phase == Phase.EXPIRED) {
      leaseTtl = fresh.expiresAt().map(end -> Duration.between(now, end)).orElse(null);
      nearMaxTtl = false;
    }
    fresh.leaseId().ifPresent(id -> issuedLeases.put(id, fresh));
    publish(new Snapshot(fresh, ring, Phase.ACTIVE));

    if (old == null) {
      log.info("credential '{}': fetched version {} from {} {}", name, fresh.version(), provider.backend(), provider.path());
      events.add(new CredentialCreated(name, now, fresh.version()));
    } else if (rotated) {
      rotations++;
      log.info("credential '{}': rotated from version {} to {}", name, old.version(), fresh.version());
      events.add(new CredentialRotated(name, now, old.version(), fresh.version()));
    }
    checkOverdue(fresh, now, events);
  }

  private void applyRenewal(Credential renewed, Instant now, List<CredentialEvent> events) {
    Snapshot s = snapshot;
    List<KeyRing.Entry> entries = new ArrayList<>();
    for (KeyRing.Entry e : java.util.Objects.requireNonNull(s.ring).entries()) {
      entries.add(e.slot() == KeySlot.CURRENT
          ? new KeyRing.Entry(renewed, KeySlot.CURRENT, renewed.expiresAt().orElse(null))
          : e);
    }
    publish(new Snapshot(renewed, KeyRing.of(entries), Phase.ACTIVE));
    renewed.leaseId().ifPresent(id -> issuedLeases.put(id, renewed));
    Duration remaining = renewed.remainingAt(now).orElse(null);
    if (remaining != null && leaseTtl != null
        && remaining.toMillis() < leaseTtl.toMillis() * NEAR_MAX_TTL_SHARE) {
      nearMaxTtl = true;
      log.info("credential '{}': lease {} renewed for only {} (max TTL near); it will be replaced",
          name, renewed.version(), remaining);
    }
    events.add(new CredentialRenewed(name, now, renewed.version(), renewed.expiresAt().orElse(null)));
  }

  private void onAttemptFailed(Cycle cycle, int attempt, Throwable error, boolean circuitOpen) {
    List<CredentialEvent> events = new ArrayList<>();
    boolean gaveUp;
    boolean failStartup = false;
    lock.lock();
    try {
      if (inFlight != cycle || snapshot.phase == Phase.CLOSED) {
        return;
      }
      Instant now = context.clock.instant();
      FailureKind kind = BackendException.classify(error);
      String message = reasonOf(error);
      consecutiveFailures++;
      failedAttempts++;
      lastFailure = new CredentialStatus.Failure(now, kind, message);
      boolean renewFailed = cycle.action == Action.RENEW;
      cycle.action = Action.FETCH; // a failed renewal is followed by a new credential

      Duration delay = null;
      if (attempt < maxAttempts && !circuitOpen && (renewFailed || retryOn.test(error))) {
        delay = renewFailed && kind == FailureKind.PERMANENT
            ? Duration.ZERO
            : Duration.ofMillis(backoff.apply(attempt, Either.left(error)));
        Instant expiry = Optional.ofNullable(snapshot.servable).flatMap(Credential::expiresAt).orElse(null);
        if (expiry != null) {
          // the last retry must be able to finish before the credential it would replace expires
          Instant latestStart = expiry.minus(policy.attemptTimeout());
          if (now.plus(delay).isAfter(latestStart)) {
            delay = latestStart.isAfter(now) ? Duration.between(now, latestStart) : null;
          }
        }
      }
      Instant next;
      if (delay != null) {
        gaveUp = false;
        next = now.plus(delay);
        nextRefreshAt = next;
        cycle.waitingForRetry = true;
        refreshTask = context.scheduler.schedule(() -> runAttempt(cycle, attempt), delay);
      } else {
        gaveUp = true;
        inFlight = null;
        if (cycle.reason == FetchReason.STARTUP && !lazy) {
          failStartup = true;
          next = null;
        } else {
          Duration recovery = jitter(min(policy.recoveryInterval(), policy.refreshInterval()));
          next = now.plus(recovery);
          scheduleRefresh(recovery, Action.FETCH, now);
        }
      }
      log.warn("credential '{}': {} attempt {} failed ({}): {}{}", name, renewFailed ? "renewal" : "fetch", attempt,
          kind.name().toLowerCase(), message,
          next == null ? "; giving up" : (gaveUp ? "; next refresh at " : "; retry at ") + next);
      events.add(new RefreshFailed(name, now, attempt, kind, next, message, error));
    } finally {
      lock.unlock();
    }
    events.forEach(this::emit);
    if (gaveUp) {
      cycle.result.completeExceptionally(error);
    }
    if (failStartup) {
      close();
    }
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** Under lock: schedules the refresh that follows a success. */
  private void planNext(Instant now) {
    Credential c = java.util.Objects.requireNonNull(snapshot.servable);
    Optional<Instant> end = c.expiresAt();
    if (end.isEmpty()) {
      scheduleRefresh(jitter(policy.refreshInterval()), Action.FETCH, now);
      return;
    }
    Duration remaining = Duration.between(now, end.get());
    if (c.renewable() && !nearMaxTtl) {
      // jitter never pushes a renewal into the last 5% of the lease
      scheduleRefresh(min(jitter(scale(remaining, policy.refreshRatio())), scale(remaining, 0.95)), Action.RENEW, now);
      return;
    }
    // replacement: the new credential must overlap the old one by minOverlap, capped by what is left
    Duration overlap = policy.minOverlapFor(leaseTtl != null ? leaseTtl : remaining);
    Duration latest = remaining.minus(overlap);
    Duration delay = latest.isNegative() ? Duration.ZERO
        : min(jitter(min(scale(remaining, policy.refreshRatio()), latest)), latest);
    Action action = Action.FETCH;
    scheduleRefresh(delay, action, now);
  }

  private void scheduleRefresh(Duration delay, Action action, Instant now) {
    cancel(refreshTask);
    nextRefreshAt = now.plus(delay);
    refreshTask = context.scheduler.schedule(() -> onScheduledRefresh(action), delay);
  }

  /** Under lock: expiry, expiry warning, grace-window pruning and overdue checks for the new snapshot. */
  private void scheduleLifecycle(Instant now) {
    Credential c = java.util.Objects.requireNonNull(snapshot.servable);
    cancel(expiryTask);
    cancel(warningTask);
    expiryTask = null;
    warningTask = null;
    c.expiresAt().ifPresent(end -> {
      expiryTask = context.scheduler.schedule(() -> onExpiry(c), Duration.between(now, end));
      Duration ttl = leaseTtl != null ? leaseTtl : Duration.between(now, end);
      Duration threshold = min(policy.expiryWarning(), ttl.dividedBy(6));
      Duration untilWarning = Duration.between(now, end).minus(threshold);
      if (!untilWarning.isNegative() && !threshold.isZero()) {
        warningTask = context.scheduler.schedule(() -> onExpiring(c), untilWarning);
      }
    });
    schedulePrune(now);
    cancel(overdueTask);
    overdueTask = null;
    c.nextRotation().filter(t -> t.isAfter(now)).ifPresent(t ->
        overdueTask = context.scheduler.schedule(() -> onOverdueCheck(c), Duration.between(now, t)));
  }

  private void schedulePrune(Instant now) {
    cancel(pruneTask);
    pruneTask = null;
    java.util.Objects.requireNonNull(snapshot.ring).entries().stream()
        .filter(e -> e.slot() != KeySlot.CURRENT)
        .map(e -> earliest(e.validUntil(), e.credential().expiresAt().orElse(null)))
        .filter(t -> t != null)
        .min(Comparator.naturalOrder())
        .ifPresent(t -> pruneTask = context.scheduler.schedule(this::prune,
            t.isAfter(now) ? Duration.between(now, t) : Duration.ZERO));
  }

  private void prune() {
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (s.ring == null || s.phase == Phase.CLOSED) {
        return;
      }
      Instant now = context.clock.instant();
      List<KeyRing.Entry> kept = new ArrayList<>();
      for (KeyRing.Entry e : java.util.Objects.requireNonNull(s.ring).entries()) {
        if (e.slot() == KeySlot.CURRENT || e.isValidAt(now)) {
          kept.add(e);
        } else {
          log.info("credential '{}': version {} left the key ring ({} window over)", name,
              e.credential().version(), e.slot() == KeySlot.PREVIOUS ? "grace" : "validity");
        }
      }
      if (kept.size() != s.ring.entries().size()) {
        publish(new Snapshot(s.servable, KeyRing.of(kept), s.phase));
      }
      schedulePrune(now);
    } finally {
      lock.unlock();
    }
  }

  private void onExpiry(Credential c) {
    boolean refresh = false;
    Cycle cycle = null;
    CredentialEvent expired;
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (s.servable != c) {
        return;
      }
      Instant now = context.clock.instant();
      publish(new Snapshot(null, s.ring, Phase.EXPIRED));
      log.error("credential '{}': version {} reached its hard expiry without a replacement; get() now fails",
          name, c.version());
      if (inFlight == null) {
        cycle = new Cycle(FetchReason.SCHEDULED, Action.FETCH);
        inFlight = cycle;
        cancel(refreshTask);
        refresh = true;
      }
      expired = new CredentialExpired(name, now, c.version());
    } finally {
      lock.unlock();
    }
    emit(expired);
    if (refresh && cycle != null) {
      runAttempt(cycle, 0);
    }
  }

  private void onExpiring(Credential c) {
    if (snapshot.servable == c) {
      Instant now = context.clock.instant();
      emit(new CredentialExpiring(name, now, c.version(), c.remainingAt(now).orElse(Duration.ZERO)));
    }
  }

  private void onOverdueCheck(Credential c) {
    List<CredentialEvent> events = new ArrayList<>();
    lock.lock();
    try {
      if (snapshot.servable == c) {
        checkOverdue(c, context.clock.instant(), events);
      }
    } finally {
      lock.unlock();
    }
    events.forEach(this::emit);
  }

  private void checkOverdue(Credential c, Instant now, List<CredentialEvent> events) {
    c.nextRotation().ifPresent(due -> {
      if (!now.isBefore(due) && !c.version().equals(overdueReported)) {
        overdueReported = c.version();
        log.warn("credential '{}': version {} is overdue for rotation (planned at {})", name, c.version(), due);
        events.add(new CredentialOverdue(name, now, c.version(), due));
      }
    });
  }

  // ---- call and verify ------------------------------------------------------------------------

  @Override
  public <T> T call(CredentialFunction<T> fn) throws Exception {
    Credential first = get();
    Exception lastRejection;
    try {
      return fn.apply(first);
    } catch (Exception e) {
      if (!isRejection.test(e)) {
        throw e;
      }
      lastRejection = e;
    }
    Set<String> tried = new HashSet<>();
    tried.add(first.version());
    Credential fresh = awaitQuietly(reportRejected(first));
    List<Credential> candidates = new ArrayList<>();
    if (fresh != null) {
      candidates.add(fresh);
    }
    KeyRing ring = snapshot.ring;
    if (ring != null) {
      Instant now = context.clock.instant();
      for (KeyRing.Entry e : ring.entries()) {
        if (e.slot() != KeySlot.CURRENT && e.isValidAt(now)) {
          candidates.add(e.credential());
        }
      }
    }
    for (Credential candidate : candidates) {
      if (!tried.add(candidate.version())) {
        continue;
      }
      try {
        return fn.apply(candidate);
      } catch (Exception e) {
        if (!isRejection.test(e)) {
          throw e;
        }
        lastRejection = e;
      }
    }
    throw lastRejection;
  }

  private @Nullable Credential awaitQuietly(CompletableFuture<Credential> f) {
    try {
      return f.get(policy.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException e) {
      log.debug("credential '{}': refresh after rejection did not complete: {}", name, e.toString());
      return null;
    }
  }

  private static boolean hasRejectionCause(Throwable t) {
    for (Throwable cur = t; cur != null; cur = cur.getCause()) {
      if (cur instanceof CredentialRejectedException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Optional<KeyMatch> verify(String presentedKey) {
    java.util.Objects.requireNonNull(presentedKey, "presentedKey");
    Optional<KeyMatch> match = keyRing().match(
        presentedKey.getBytes(java.nio.charset.StandardCharsets.UTF_8), context.clock.instant(), keyField);
    match.ifPresent(m -> {
      matches.computeIfAbsent(m.version(), v -> new LongAdder()).increment();
      java.util.Objects.requireNonNull(slotMatches.get(m.slot())).increment();
    });
    return match;
  }

  @Override
  public Map<KeySlot, Long> matchCountsBySlot() {
    Map<KeySlot, Long> counts = new java.util.EnumMap<>(KeySlot.class);
    slotMatches.forEach((slot, n) -> counts.put(slot, n.sum()));
    return java.util.Collections.unmodifiableMap(counts);
  }

  @Override
  public Map<String, Long> matchCounts() {
    Map<String, Long> counts = new LinkedHashMap<>();
    matches.forEach((version, n) -> counts.put(version, n.sum()));
    return Map.copyOf(counts);
  }

  // ---- status, listeners, close ----------------------------------------------------------------

  @Override
  public CredentialStatus status() {
    lock.lock();
    try {
      Snapshot s = snapshot;
      Credential shown = s.servable != null ? s.servable : (s.ring != null ? s.ring.current() : null);
      CredentialState state = s.servable == null ? CredentialState.DOWN
          : consecutiveFailures > 0 ? CredentialState.DEGRADED : CredentialState.UP;
      return new CredentialStatus(name, state,
          shown == null ? null : shown.version(),
          shown == null ? null : shown.issuedAt(),
          shown == null ? null : shown.expiresAt().orElse(null),
          lastSuccess, lastFailure, consecutiveFailures, nextRefreshAt, breaker.getState(),
          successfulRefreshes, failedAttempts, rotations);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void addListener(CredentialListener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  private void emit(CredentialEvent event) {
    for (CredentialListener l : listeners) {
      try {
        context.events.execute(() -> {
          try {
            event.deliverTo(l);
          } catch (RuntimeException e) {
            log.warn("credential '{}': listener {} failed on {}: {}", name, l, event.getClass().getSimpleName(), e.toString());
          }
        });
      } catch (RejectedExecutionException e) {
        log.debug("credential '{}': event {} dropped, event executor is shut down", name, event);
      }
    }
  }

  @Override
  public void close() {
    Cycle cycle;
    List<Credential> toRevoke = new ArrayList<>();
    lock.lock();
    try {
      if (snapshot.phase == Phase.CLOSED) {
        return;
      }
      Instant now = context.clock.instant();
      cycle = inFlight;
      inFlight = null;
      cancel(refreshTask);
      cancel(expiryTask);
      cancel(warningTask);
      cancel(pruneTask);
      cancel(overdueTask);
      nextRefreshAt = null;
      if (revokeOnClose) {
        issuedLeases.values().stream().filter(c -> !c.isExpiredAt(now)).forEach(toRevoke::add);
      }
      issuedLeases.clear();
      publish(new Snapshot(null, snapshot.ring, Phase.CLOSED));
    } finally {
      lock.unlock();
    }
    if (cycle != null) {
      cycle.result.completeExceptionally(
          new CredentialUnavailableException(name, provider.backend(), provider.path(), "closed", null));
    }
    revoke(toRevoke);
    try {
      provider.close();
    } catch (RuntimeException e) {
      log.warn("credential '{}': closing provider for {} {} failed: {}", name, provider.backend(), provider.path(), e.toString());
    }
    if (ownsContext) {
      context.close();
    }
  }

  private void revoke(List<Credential> leases) {
    if (leases.isEmpty()) {
      return;
    }
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (Credential lease : leases) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      done.add(f);
      try {
        context.io.execute(() -> {
          try {
            provider.revoke(lease);
            log.info("credential '{}': revoked lease {}", name, lease.version());
            f.complete(null);
          } catch (RuntimeException e) {
            log.warn("credential '{}': revoking lease {} failed: {}", name, lease.version(), reasonOf(e));
            f.complete(null);
          }
        });
      } catch (RejectedExecutionException e) {
        f.complete(null);
      }
    }
    try {
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
          .get(policy.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("credential '{}': lease revocation did not finish within {}", name, policy.attemptTimeout());
    }
  }

  // ---- small helpers ---------------------------------------------------------------------------

  private Duration jitter(Duration d) {
    double j = policy.jitter();
    if (j == 0 || d.isZero()) {
      return d;
    }
    return scale(d, 1 + (random.nextDouble() * 2 - 1) * j);
  }

  private static Duration scale(Duration d, double factor) {
    return Duration.ofNanos((long) (d.toNanos() * factor));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static @Nullable Instant earliest(@Nullable Instant a, @Nullable Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }

  private static void cancel(Scheduler.@Nullable Cancellable task) {
    if (task != null) {
      task.cancel();
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static String reasonOf(Throwable t) {
    if (t instanceof CredentialException ce) {
      return ce.reason();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  @Override
  public String toString() {
    return "RotatingCredential[" + name + ", " + provider.backend() + " " + provider.path() + "]";
  }
}
