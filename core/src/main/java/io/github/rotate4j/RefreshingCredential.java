package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
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
import io.github.rotate4j.internal.EventDispatcher;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
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
 * <p>The parts: {@link RefreshPlanner} decides every time (pure), {@link KeyRingTransitions} every
 * ring change (pure), {@link LifecycleTimers} arms expiry, warning, pruning and overdue timers,
 * {@link EventDispatcher} delivers events per listener, {@link CredentialOrigin} builds every
 * exception and log prefix. This class holds the state machine:
 *
 * <ul>
 *   <li>A <em>cycle</em> is one or more attempts (retries) at one action, fetch or renew. At most one
 *       cycle is in flight; on-demand callers join it. Every cycle ends by planning the next one.
 *   <li>A <em>call</em> is one provider invocation. At most one is outstanding, ever: an attempt that
 *       times out abandons its call (and interrupts its thread) but the call still counts until it
 *       returns; the next attempt waits for it. A call that answers late is still used: a fresh lease
 *       is served (or revoked if the credential closed), a late renewal updates the lease's expiry.
 *       An {@link AsyncCredentialProvider}'s call is started on the I/O executor, holds no thread
 *       while its stage is pending, is never cancelled, and is answered on the I/O executor again.
 * </ul>
 */
final class RefreshingCredential extends RotatingCredential implements LifecycleTimers.Handler, BreakerFanOut.Member {

  private static final Logger log = LoggerFactory.getLogger(RotatingCredential.class);

  /** A renewal that returns less than this share of the lease's TTL has hit the max TTL. */
  private static final double NEAR_MAX_TTL_SHARE = 0.9;
  /** A renewal that returns less than the TTL minus 1/50 of it was capped by the backend's max TTL. */
  private static final int MAX_TTL_TOLERANCE_DIVISOR = 50;
  /** Match counts of versions that left the ring are kept for this many of them. */
  static final int RETIRED_MATCH_COUNTS = 4;
  /** {@link #lastSuccessSecond} before the first success. */
  private static final long NEVER = Long.MIN_VALUE;
  /** Retry intervals are asked for at most this attempt number (exponential functions overflow). */
  private static final int MAX_BACKOFF_ATTEMPT = 16;
  private static final IntervalBiFunction<Object> DEFAULT_BACKOFF =
      RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG.getIntervalBiFunction();

  private enum Action { FETCH, RENEW }

  private enum Phase { NOT_STARTED, STARTING, ACTIVE, EXPIRED, CLOSED }

  /** What readers see; replaced whole on every change. */
  private static final class Snapshot {
    static final Snapshot NOT_STARTED = new Snapshot(null, null, Phase.NOT_STARTED);
    final @Nullable Credential servable; // null when get() must throw
    final @Nullable KeyRing ring; // null before the first fetch and after close
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
    final boolean startup; // a blocking start's first fetch: retries transient failures until the deadline
    final CompletableFuture<Credential> result = new CompletableFuture<>();
    Action action;
    int attempts;
    boolean waitingForRetry;
    boolean waitingForCall;
    Scheduler.@Nullable Cancellable deadline;
    /**
     * On-demand requests that found this (scheduled) cycle's call running wait on this, a fresh
     * fetch once the cycle has ended; {@code followUpRejected} is the rejected version they report,
     * or null when one of them asked for a plain refresh (then the follow-up always fetches).
     */
    @Nullable CompletableFuture<Credential> followUp;
    @Nullable Credential followUpRejected;

    Cycle(FetchReason reason, Action action, boolean startup) {
      this.reason = reason;
      this.action = action;
      this.startup = startup;
    }
  }

  /** One provider invocation; its fields are guarded by the engine's lock. */
  private static final class Call {
    final Cycle cycle;
    final int attempt;
    final Action action;
    final @Nullable Credential renewing;
    final FetchContext context;
    final Duration timeout;
    long startNanos;
    Scheduler.@Nullable Cancellable timeoutTask;
    @Nullable Thread thread;
    /** An asynchronous call's permit (see EngineContext#asyncCallsFor), until it is given back. */
    Threads.@Nullable Permits permits;
    boolean answered;
    boolean timedOut;
    boolean interrupted;

    Call(Cycle cycle, int attempt, Action action, @Nullable Credential renewing, FetchContext context, Duration timeout) {
      this.cycle = cycle;
      this.attempt = attempt;
      this.action = action;
      this.renewing = renewing;
      this.context = context;
      this.timeout = timeout;
    }
  }

  /**
   * Match counts: created by the first {@link #verify} that matches, since most credentials are never
   * verified against. Counting is lock-free ({@link LongAdder}s, so that concurrent callers do not
   * contend on one field).
   */
  private static final class MatchCounters {
    final ConcurrentHashMap<String, LongAdder> byVersion = new ConcurrentHashMap<>(4);
    /** Monotonic totals by {@link KeySlot#ordinal()}, kept after close (metrics read them). */
    final LongAdder[] bySlot = new LongAdder[KeySlot.values().length];
    /** Versions that left the ring and still have match counts, oldest first; guarded by the engine's lock. */
    java.util.@Nullable ArrayDeque<String> retired;

    MatchCounters() {
      for (int i = 0; i < bySlot.length; i++) {
        bySlot[i] = new LongAdder();
      }
    }

    void count(KeyMatch m) {
      LongAdder n = byVersion.get(m.version());
      if (n == null) {
        n = byVersion.computeIfAbsent(m.version(), v -> new LongAdder());
      }
      n.increment();
      bySlot[m.slot().ordinal()].increment();
    }
  }

  /** Shared by the credentials without listeners: it dispatches to nobody and holds nothing. */
  private static final EventDispatcher<CredentialEvent> NO_LISTENERS =
      new EventDispatcher<>(Runnable::run, 1, "credentials without listeners");

  private static final AtomicReferenceFieldUpdater<RefreshingCredential, MatchCounters> MATCH_COUNTERS =
      AtomicReferenceFieldUpdater.newUpdater(RefreshingCredential.class, MatchCounters.class, "matchCounters");

  private final String name;
  private final CredentialOrigin origin;
  private final CredentialProvider provider;
  private final RefreshPolicy policy;
  private final RefreshPlanner planner;
  private final int maxAttempts;
  private final IntervalBiFunction<Object> backoff;
  private final Predicate<Throwable> retryOn;
  private final CircuitBreaker breaker;
  private final EngineContext context;
  private final boolean ownsContext;
  private final Clock clock;
  private final GuardedScheduler scheduler;
  /** Replaced by a dispatcher of its own when the first listener is added (under lock): most have none. */
  private volatile EventDispatcher<CredentialEvent> events = NO_LISTENERS;
  private final Predicate<Throwable> isRejection;
  private final boolean lazy;
  private final boolean revokeOnClose;
  private final @Nullable String keyField;
  private final LifecycleTimers timers;
  /** Created by the first verify() that matches: most credentials are never verified against. */
  private volatile @Nullable MatchCounters matchCounters;

  private volatile Snapshot snapshot = Snapshot.NOT_STARTED;
  /** The hot path's one volatile field: always {@code snapshot.servable}, written right after it. */
  private volatile @Nullable Credential servable;
  /** The last failure's reason, for get()'s message when it must throw (its prefix names backend and path): read without the lock. */
  private volatile @Nullable String lastFailureReason;
  /** The last failure the backend itself produced (not an open breaker), for messages. */
  private volatile @Nullable String lastBackendFailure;

  private final ReentrantLock lock = new ReentrantLock();
  // everything below is guarded by lock
  private @Nullable Cycle inFlight;
  private @Nullable Call outstanding;
  private Scheduler.@Nullable Cancellable refreshTask;
  private @Nullable Instant nextRefreshAt;
  private @Nullable Instant pollPhase;
  /** When the backend said it will change the secret next, if it did (a Vault static role's rotation). */
  private @Nullable Instant nextChange;
  /**
   * The last success, as {@link Instant}'s own two parts ({@link #NEVER} while there was none): each
   * credential succeeds at its own instant, and an Instant object kept for it would cost more than
   * the parts (status() rebuilds it).
   */
  private long lastSuccessSecond = NEVER;
  private int lastSuccessNano;
  private CredentialStatus.@Nullable Failure lastFailure;
  private int consecutiveFailures;
  private int failedCycles;
  private @Nullable Instant degradedSince;
  private @Nullable Instant lastForcedRefresh;
  private @Nullable Duration leaseTtl;
  private boolean nearMaxTtl;
  private boolean renewedOnce;
  /** When the current lease was issued (as seen here), and the latest end the backend will give it, if known. */
  private @Nullable Instant leaseStart;
  private @Nullable Instant leaseMaxEnd;
  /** The longest life the backend gave a lease (its max TTL), learned when a renewal came back short. */
  private @Nullable Duration maxLeaseLife;
  /** Whether a lease was replaced by a new one already (the first replacement is drawn wide). */
  private boolean replacedOnce;
  /** Whether a failed cycle brought this lease's replacement in step with the fleet's: the next one is drawn wide. */
  private boolean respread;
  /**
   * For the first renewable lease issued once the max lifetime is known: when to replace it, drawn
   * over its whole life (renewing until then), so that a fleet whose first leases were issued
   * together gets a wide phase; later leases keep it. {@code null} otherwise.
   */
  private @Nullable Instant lifePhaseReplacement;
  private boolean lifePhaseDrawn;
  private boolean shortTtlWarned;
  private @Nullable String overdueReported; // version@due
  private long successfulRefreshes;
  private long failedAttempts;
  private long rotations;
  /**
   * Leases this process obtained that have not expired (pruned as they do), for revocation on close,
   * in the order they were issued: an array of exactly the live ones (mostly one), replaced when one
   * is added or forgotten; {@code null} while there is none (static secrets never have one).
   */
  private Credential @Nullable [] issuedLeases;

  RefreshingCredential(RotatingCredentialBuilder.Settings s, EngineContext context, boolean ownsContext) {
    this.name = s.name();
    this.provider = s.provider();
    this.origin = CredentialOrigin.of(name, provider);
    this.policy = s.policy();
    this.planner = new RefreshPlanner(policy, s.random());
    this.maxAttempts = s.retry().getMaxAttempts();
    this.backoff = s.retry().getIntervalBiFunction();
    this.retryOn = s.retry().getExceptionPredicate();
    this.context = context;
    this.ownsContext = ownsContext;
    this.clock = context.clock;
    this.scheduler = new GuardedScheduler(context.scheduler, origin);
    this.breaker = s.circuitBreaker() != null
        ? s.circuitBreaker()
        : context.breakerFor(provider.backendId(), java.util.Objects.requireNonNull(s.circuitBreakerConfig()));
    this.isRejection = s.rejectionClassifier();
    this.lazy = s.lazyStart();
    this.revokeOnClose = s.revokeOnClose();
    this.keyField = s.keyField();
    this.timers = new LifecycleTimers(scheduler, this);
    s.listeners().forEach(this::addListener);
    BreakerFanOut.join(breaker, this);
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

  /** Lock-free: get() calls it when DOWN. */
  @SuppressWarnings("NullAway") // an EXPIRED snapshot keeps the ring whose current version expired
  private CredentialException unavailable(Snapshot s) {
    String last = lastFailureReason;
    String suffix = last == null ? "" : " (last failure: " + last + ")";
    return switch (s.phase) {
      case EXPIRED -> origin.expired("credential version " + s.ring.current().version() + " expired at "
          + s.ring.current().expiresAt().map(Instant::toString).orElse("?")
          + " and no replacement could be fetched" + suffix);
      case CLOSED -> origin.unavailable("closed");
      case STARTING -> origin.unavailable("no credential fetched yet" + suffix);
      default -> origin.unavailable("not started: call start() first");
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyRing keyRing() {
    Snapshot s = snapshot;
    if (s.ring == null || s.phase == Phase.CLOSED) {
      throw unavailable(s);
    }
    return s.ring;
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
      throw origin.startupFailure("start failed", e.getCause());
    } catch (TimeoutException e) {
      CredentialStartupException failure = origin.startupFailure("no credential within the start-up timeout of "
          + DurationFormat.of(policy.startupTimeout()) + lastFailureSuffix(), e);
      close();
      throw failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw origin.startupFailure("interrupted while starting", e);
    }
  }

  private String lastFailureSuffix() {
    String last = lastFailureReason;
    return last == null ? "" : " (last failure: " + last + ")";
  }

  @Override
  public CompletableFuture<RotatingCredential> startAsync() {
    Cycle cycle;
    lock.lock();
    try {
      if (snapshot.phase == Phase.CLOSED) {
        throw new IllegalStateException("credential '" + name + "' is closed");
      }
      if (snapshot.phase != Phase.NOT_STARTED) {
        throw new IllegalStateException("credential '" + name + "' was already started");
      }
      publish(new Snapshot(null, null, Phase.STARTING));
      cycle = new Cycle(FetchReason.STARTUP, Action.FETCH, !lazy);
      inFlight = cycle;
      if (!lazy) {
        cycle.deadline = scheduler.schedule(() -> failStartup(cycle), policy.startupTimeout());
      }
    } finally {
      lock.unlock();
    }
    CompletableFuture<RotatingCredential> ready = new CompletableFuture<>();
    cycle.result.whenComplete((c, e) -> {
      if (cycle.deadline != null) {
        cycle.deadline.cancel();
      }
      String keyFieldProblem = e == null ? keyFieldProblem(c) : null;
      if (keyFieldProblem != null) {
        ready.completeExceptionally(origin.startupFailure(keyFieldProblem, null));
        close();
      } else if (e == null) {
        ready.complete(this);
      } else {
        Throwable cause = unwrap(e);
        ready.completeExceptionally(cause instanceof CredentialStartupException
            ? cause
            : origin.startupFailure("could not fetch the first credential: " + CredentialOrigin.reasonOf(cause), cause));
      }
    });
    if (lazy) {
      ready.complete(this);
    }
    runAttempt(cycle, 0);
    return ready;
  }

  /** A configured keyField the first credential does not have: start fails rather than every verify(). */
  private @Nullable String keyFieldProblem(Credential first) {
    if (keyField == null || !(first.value() instanceof SecretValue.KeyValue kv) || kv.value().containsKey(keyField)) {
      return null;
    }
    return "the keyField setting names '" + keyField + "', but version " + first.version()
        + " has no such field (it has " + kv.value().size() + " field(s); their names are not shown: in a"
        + " misread file a name can be the secret itself)";
  }

  private void failStartup(Cycle cycle) {
    lock.lock();
    try {
      if (inFlight != cycle || cycle.result.isDone()) {
        return;
      }
      inFlight = null;
    } finally {
      lock.unlock();
    }
    cycle.result.completeExceptionally(origin.startupFailure("no credential within the start-up timeout of "
        + DurationFormat.of(policy.startupTimeout()) + lastFailureSuffix(), null));
    close();
  }

  // ---- on-demand refresh ------------------------------------------------------------------

  @Override
  public CompletableFuture<Credential> refreshNow() {
    return onDemand(FetchReason.ON_DEMAND, null);
  }

  @Override
  public CompletableFuture<Credential> reportRejected(Credential rejected) {
    return onDemand(FetchReason.REJECTED, java.util.Objects.requireNonNull(rejected, "rejected"));
  }

  private CompletableFuture<Credential> onDemand(FetchReason reason, @Nullable Credential rejected) {
    return onDemand(reason, rejected, false);
  }

  /**
   * @param followingUp this request joined a scheduled call that was already running, and comes back
   *     now that it has ended: it already holds this window's forced refresh
   */
  private CompletableFuture<Credential> onDemand(FetchReason reason, @Nullable Credential rejected, boolean followingUp) {
    Cycle cycle;
    int runAfter = -1; // attempts so far of the cycle whose next attempt runs now, or -1
    CompletableFuture<Credential> followUp = null; // a follow-up this request created, to chain after the cycle
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (s.phase == Phase.NOT_STARTED || s.phase == Phase.CLOSED) {
        return CompletableFuture.failedFuture(unavailable(s));
      }
      Instant now = clock.instant();
      Credential current = s.servable;
      if (rejected != null && current != null && !current.version().equals(rejected.version())) {
        return CompletableFuture.completedFuture(current); // already replaced
      }
      boolean forceAllowed = followingUp || lastForcedRefresh == null
          || Duration.between(lastForcedRefresh, now).compareTo(policy.rejectionRateLimit()) >= 0;
      if (inFlight != null) {
        cycle = inFlight;
        CompletableFuture<Credential> pendingFollowUp = cycle.followUp;
        if (pendingFollowUp != null && !followingUp) {
          if (rejected == null) {
            cycle.followUpRejected = null; // a plain refresh joined: the follow-up fetches in any case
          }
          return pendingFollowUp.copy();
        }
        if (cycle.waitingForRetry && forceAllowed) {
          // the cycle is only waiting out a backoff: an explicit refresh runs its next attempt now
          runAfter = cycle.attempts;
        } else if (forceAllowed && !followingUp && cycle.reason == FetchReason.SCHEDULED) {
          // a scheduled call is running: it may have read the backend before this request (a rotation
          // that a rejection just revealed), so its answer is not enough; fetch again once it has ended
          followUp = new CompletableFuture<>();
          cycle.followUp = followUp;
          cycle.followUpRejected = rejected;
          lastForcedRefresh = now;
        }
      } else if (forceAllowed) {
        cycle = new Cycle(reason, Action.FETCH, false);
        inFlight = cycle;
        runAfter = 0;
      } else if (rejected != null && current != null) {
        log.debug("{}: rejection of version {} ignored, last forced refresh at {}", origin, rejected.version(),
            lastForcedRefresh);
        return CompletableFuture.completedFuture(current);
      } else {
        // rate-limited: one deferred cycle at the end of the window, joined by every caller until then
        Cycle deferred = new Cycle(reason, Action.FETCH, false);
        cycle = deferred;
        inFlight = deferred;
        deferred.waitingForRetry = true;
        Instant at = java.util.Objects.requireNonNull(lastForcedRefresh).plus(policy.rejectionRateLimit());
        cancel(refreshTask);
        nextRefreshAt = at;
        refreshTask = scheduler.schedule(() -> runForced(deferred), Duration.between(now, at));
      }
      if (runAfter >= 0) {
        cancel(refreshTask);
        refreshTask = null;
        lastForcedRefresh = now;
        if (rejected != null) {
          log.info("{}: version {} was rejected downstream, refreshing", origin, rejected.version());
        }
      }
    } finally {
      lock.unlock();
    }
    if (followUp != null) {
      Cycle ended = cycle;
      CompletableFuture<Credential> result = followUp;
      ended.result.whenComplete((c, e) -> {
        Credential reported;
        lock.lock();
        try {
          reported = ended.followUpRejected;
        } finally {
          lock.unlock();
        }
        onDemand(reported == null ? FetchReason.ON_DEMAND : FetchReason.REJECTED, reported, true)
            .whenComplete((fresh, failure) -> {
              if (failure != null) {
                result.completeExceptionally(unwrap(failure));
              } else {
                result.complete(fresh);
              }
            });
      });
      return result.copy();
    }
    if (runAfter >= 0) {
      runAttempt(cycle, runAfter);
    }
    return cycle.result.copy();
  }

  private void runForced(Cycle cycle) {
    lock.lock();
    try {
      if (inFlight != cycle || cycle.attempts != 0) {
        return;
      }
      lastForcedRefresh = clock.instant();
    } finally {
      lock.unlock();
    }
    runAttempt(cycle, 0);
  }

  private void onScheduledRefresh(Action action) {
    Cycle cycle;
    lock.lock();
    try {
      if (snapshot.phase == Phase.CLOSED || inFlight != null) {
        return; // the cycle in flight plans the next one when it ends
      }
      cycle = new Cycle(FetchReason.SCHEDULED, action, false);
      inFlight = cycle;
    } finally {
      lock.unlock();
    }
    runAttempt(cycle, 0);
  }

  // ---- attempts and calls -------------------------------------------------------------------

  /** Runs the next attempt of {@code cycle}, unless another one ran since {@code attemptsSoFar} was read. */
  private void runAttempt(Cycle cycle, int attemptsSoFar) {
    Call call;
    lock.lock();
    try {
      if (inFlight != cycle || snapshot.phase == Phase.CLOSED || cycle.attempts != attemptsSoFar) {
        return;
      }
      cycle.waitingForRetry = false;
      cancel(refreshTask);
      refreshTask = null;
      nextRefreshAt = null;
      if (outstanding != null) {
        // one provider call at a time: this attempt starts when the abandoned call returns
        cycle.waitingForCall = true;
        log.debug("{}: next attempt waits for the previous call, which has not returned yet", origin);
        return;
      }
      cycle.waitingForCall = false;
      int attempt = ++cycle.attempts;
      KeyRing ring = snapshot.ring;
      Credential current = ring == null ? null : ring.current();
      Instant now = clock.instant();
      Action action = cycle.action == Action.RENEW && current != null && current.renewable()
          && !current.isExpiredAt(now) ? Action.RENEW : Action.FETCH;
      cycle.action = action;
      call = new Call(cycle, attempt, action, current, new FetchContext(name, cycle.reason, Optional.ofNullable(ring)),
          planner.attemptTimeout(leaseTtl));
      outstanding = call;
    } finally {
      lock.unlock();
    }
    // a blocking start has nothing to serve yet: an open breaker (opened by other credentials of the
    // backend) does not hold its attempts back; they are paced by the retry backoff and still counted
    if (!cycle.startup && !breaker.tryAcquirePermission()) {
      lock.lock();
      try {
        call.answered = true;
        if (outstanding == call) {
          outstanding = null;
        }
      } finally {
        lock.unlock();
      }
      String cause = lastBackendFailure;
      onAttemptFailed(cycle, call.attempt, origin.transientFailure("circuit breaker '" + breaker.getName()
          + "' is open; backend not called" + (cause == null ? "" : " (last backend failure: " + cause + ")"),
          CallNotPermittedException.createCallNotPermittedException(breaker)), true);
      return;
    }
    call.startNanos = System.nanoTime();
    lock.lock();
    try {
      if (!call.answered) {
        call.timeoutTask = scheduler.schedule(() -> onTimeout(call), call.timeout);
      }
    } finally {
      lock.unlock();
    }
    try {
      if (provider instanceof AsyncCredentialProvider) {
        // started on the I/O executor (a provider that blocks while starting never stalls the
        // scheduler), under the per-backend bound on outstanding asynchronous calls
        Threads.Permits permits = context.asyncCallsFor(provider.backendId());
        call.permits = permits;
        permits.acquire(() -> {
          try {
            context.ioFor(provider.backendId()).execute(() -> runCall(call));
          } catch (RejectedExecutionException e) {
            refused(call, e);
          }
        });
      } else {
        context.ioFor(provider.backendId()).execute(() -> runCall(call));
      }
    } catch (RejectedExecutionException e) {
      refused(call, e);
    }
  }

  /** The executor refused the call: it never ran, and the attempt fails. */
  private void refused(Call call, RejectedExecutionException e) {
    lock.lock();
    try {
      call.answered = true;
      if (outstanding == call) {
        outstanding = null;
      }
      cancel(call.timeoutTask);
    } finally {
      lock.unlock();
    }
    if (!call.cycle.startup) {
      breaker.releasePermission();
    }
    releasePermit(call);
    onAttemptFailed(call.cycle, call.attempt, origin.transientFailure("I/O executor rejected the call", e), false);
  }

  /** Gives back an asynchronous call's permit, once. */
  private void releasePermit(Call call) {
    Threads.Permits permits;
    lock.lock();
    try {
      permits = call.permits;
      call.permits = null;
    } finally {
      lock.unlock();
    }
    if (permits != null) {
      permits.release();
    }
  }

  /** On the I/O executor: the provider call itself, then its outcome. */
  private void runCall(Call call) {
    lock.lock();
    try {
      if (call.answered) {
        return;
      }
      if (snapshot.phase == Phase.CLOSED) {
        call.answered = true; // closed before the call started: nothing to ask for
        if (outstanding == call) {
          outstanding = null;
        }
        cancel(call.timeoutTask);
      } else {
        call.thread = Thread.currentThread();
      }
    } finally {
      lock.unlock();
    }
    if (call.thread == null) {
      if (!call.cycle.startup) {
        breaker.releasePermission();
      }
      releasePermit(call);
      return;
    }
    if (provider instanceof AsyncCredentialProvider async) {
      startAsyncCall(call, async);
      return;
    }
    Object result = null;
    Throwable error = null;
    try {
      result = call.action == Action.RENEW
          ? provider.renew(java.util.Objects.requireNonNull(call.renewing, "renewing"), call.context)
          : provider.fetch(call.context);
      if (result == null) {
        error = origin.permanentFailure("provider returned nothing from " + call.action.name().toLowerCase(), null);
      }
    } catch (RuntimeException | LinkageError e) {
      error = e;
    }
    finishCall(call, result, error);
  }

  /**
   * On the I/O executor: starts an asynchronous provider call and gives the thread back as soon as
   * the provider returns its stage. The answer is handled on the I/O executor when the stage
   * completes, however late; the stage is never cancelled (that could drop a lease the backend issued).
   */
  private void startAsyncCall(Call call, AsyncCredentialProvider async) {
    String operation = call.action == Action.RENEW ? "renewAsync" : "fetchAsync";
    CompletionStage<?> stage = null;
    Throwable error = null;
    try {
      stage = call.action == Action.RENEW
          ? async.renewAsync(java.util.Objects.requireNonNull(call.renewing, "renewing"), call.context)
          : async.fetchAsync(call.context);
      if (stage == null) {
        error = origin.permanentFailure("provider returned no stage from " + operation, null);
      }
    } catch (RuntimeException | LinkageError e) {
      error = e;
    }
    boolean interrupted;
    lock.lock();
    try {
      call.thread = null; // from here on the call holds no thread, and nothing interrupts this one
      interrupted = call.interrupted;
      call.interrupted = false;
    } finally {
      lock.unlock();
    }
    if (interrupted) {
      Thread.interrupted(); // the interrupt was ours, for a start that blocked past the attempt timeout
    }
    if (error != null || stage == null) {
      releasePermit(call);
      finishCall(call, null, error);
      return;
    }
    stage.whenComplete((result, failure) -> {
      releasePermit(call);
      Throwable problem = asyncFailure(result, failure, operation);
      Runnable answer = () -> finishCall(call, result, problem);
      try {
        context.ioFor(provider.backendId()).execute(answer);
      } catch (RejectedExecutionException e) {
        answer.run(); // the executor is shutting down: the answer (a lease to revoke, perhaps) is handled here
      }
    });
  }

  /** What is wrong with an asynchronous answer, if anything. */
  private @Nullable Throwable asyncFailure(@Nullable Object result, @Nullable Throwable failure, String operation) {
    if (failure == null) {
      return result == null ? origin.permanentFailure("provider's " + operation + " completed with nothing", null) : null;
    }
    Throwable cause = unwrap(failure);
    return cause instanceof java.util.concurrent.CancellationException
        ? origin.transientFailure("the stage returned by " + operation + " was cancelled", cause)
        : cause;
  }

  /** A call's outcome, on time or late: breaker accounting, then the answer or the failure. */
  private void finishCall(Call call, @Nullable Object result, @Nullable Throwable error) {
    boolean late;
    Cycle waiting = null;
    lock.lock();
    try {
      call.thread = null;
      call.answered = true;
      if (outstanding == call) {
        outstanding = null;
      }
      late = call.timedOut;
      cancel(call.timeoutTask);
      if (inFlight != null && inFlight.waitingForCall) {
        waiting = inFlight;
      }
    } finally {
      lock.unlock();
    }
    if (call.interrupted) {
      Thread.interrupted(); // the interrupt was ours, for the abandoned call: do not leak it to the thread
    }
    long elapsed = System.nanoTime() - call.startNanos;
    if (!late) {
      if (error == null) {
        breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
      } else {
        breaker.onError(elapsed, TimeUnit.NANOSECONDS, error);
      }
    }
    if (error == null) {
      accept(call, java.util.Objects.requireNonNull(result, "result"), late);
    } else if (!late) {
      onAttemptFailed(call.cycle, call.attempt, error, false);
    } else {
      log.debug("{}: abandoned {} returned a failure after {}: {}", origin, call.action.name().toLowerCase(),
          DurationFormat.of(Duration.ofNanos(elapsed)), CredentialOrigin.reasonOf(error));
    }
    if (waiting != null) {
      runAttempt(waiting, waiting.attempts);
    }
  }

  private void onTimeout(Call call) {
    lock.lock();
    try {
      if (call.answered || call.timedOut) {
        return;
      }
      call.timedOut = true;
      if (call.thread != null) {
        call.interrupted = true;
        call.thread.interrupt();
      }
    } finally {
      lock.unlock();
    }
    TransientBackendException e = origin.transientFailure((call.action == Action.RENEW ? "renewal" : "fetch")
        + " got no answer within " + DurationFormat.of(call.timeout)
        + "; the call is abandoned, and the next one waits until it returns", new TimeoutException());
    breaker.onError(System.nanoTime() - call.startNanos, TimeUnit.NANOSECONDS, e);
    onAttemptFailed(call.cycle, call.attempt, e, false);
  }

  /** A provider answer, on time or late: serve it, or revoke what it issued if the credential closed. */
  private void accept(Call call, Object result, boolean late) {
    Credential fresh = call.action == Action.RENEW ? (Credential) result : ((FetchResult) result).current();
    List<CredentialEvent> out = new ArrayList<>();
    List<Credential> toRevoke = new ArrayList<>();
    Cycle completed = null;
    Credential served = null;
    boolean expiredOnArrival = false;
    lock.lock();
    try {
      Instant now = clock.instant();
      Snapshot s = snapshot;
      if (s.phase == Phase.CLOSED) {
        if (revokeOnClose && fresh.leaseId().isPresent() && !fresh.isExpiredAt(now)) {
          toRevoke.add(fresh);
        }
      } else if (fresh.isExpiredAt(now)) {
        expiredOnArrival = true;
      } else if (call.action == Action.RENEW) {
        Credential current = s.ring == null ? null : s.ring.current();
        if (current != null && current.leaseId().equals(fresh.leaseId())) {
          applyRenewal(fresh, now, out);
          if (inFlight != null && (inFlight == call.cycle || inFlight.action == Action.RENEW)) {
            completed = inFlight;
          }
          served = recordSuccess(now, completed);
        } else {
          // a late renewal of a lease that was replaced meanwhile: keep its new end for revocation
          updateTrackedLease(fresh);
        }
      } else {
        applyFetch((FetchResult) result, now, out);
        completed = inFlight;
        served = recordSuccess(now, completed);
      }
    } finally {
      lock.unlock();
    }
    if (!toRevoke.isEmpty()) {
      log.info("{}: a {} answered after close; revoking what it issued", origin, call.action.name().toLowerCase());
      revokeNow(toRevoke);
    }
    if (expiredOnArrival) {
      if (!late) {
        onAttemptFailed(call.cycle, call.attempt, origin.permanentFailure("backend returned version "
            + fresh.version() + " already expired at " + fresh.expiresAt().orElseThrow(), null), false);
      }
      return;
    }
    if (late && served != null) {
      log.debug("{}: a {} that had timed out answered late; its answer is used", origin, call.action.name().toLowerCase());
    }
    out.forEach(events::dispatch); // before the result: a caller's follow-up refresh may run inside complete()
    if (completed != null) {
      completed.result.complete(served);
    }
  }

  /** Under lock, after a fetch or renewal was applied: bookkeeping, logs, and the next plan. */
  @SuppressWarnings("NullAway") // called right after a success published a servable snapshot with its ring
  private Credential recordSuccess(Instant now, @Nullable Cycle completed) {
    if (completed != null && inFlight == completed) {
      inFlight = null;
    }
    if (consecutiveFailures > 0 && degradedSince != null) {
      log.info("{}: refresh works again after {} and {} failed attempt(s); serving version {}", origin,
          DurationFormat.of(Duration.between(degradedSince, now)), consecutiveFailures, snapshot.servable.version());
    }
    consecutiveFailures = 0;
    failedCycles = 0;
    degradedSince = null;
    lastSuccessSecond = now.getEpochSecond();
    lastSuccessNano = now.getNano();
    successfulRefreshes++;
    forgetExpiredLeases(now);
    if (inFlight == null) {
      planNext(now);
    } else {
      nextRefreshAt = inFlight.waitingForRetry ? nextRefreshAt : null;
    }
    timers.follow(snapshot.servable, snapshot.ring, now, leaseTtl, policy.expiryWarning());
    return snapshot.servable;
  }

  @SuppressWarnings("NullAway") // old is non-null whenever the transition says rotated or contentChanged
  private void applyFetch(FetchResult r, Instant now, List<CredentialEvent> out) {
    Snapshot s = snapshot;
    Credential old = s.ring == null ? null : s.ring.current();
    Credential fresh = r.current();
    KeyRingTransitions.AfterFetch t = KeyRingTransitions.afterFetch(s.ring, r, now, policy.gracePeriod());
    nextChange = r.nextChange().orElse(null);
    if (old == null || t.rotated() || s.phase == Phase.EXPIRED || !old.leaseId().equals(fresh.leaseId())) {
      if (old != null && old.leaseId().isPresent()) {
        replacedOnce = true;
      }
      leaseTtl = fresh.expiresAt().map(end -> Duration.between(now, end)).orElse(null);
      nearMaxTtl = false;
      renewedOnce = false;
      leaseStart = now;
      Instant announcedMaxEnd = r.maxLeaseEnd().orElse(null);
      if (announcedMaxEnd != null) {
        // the backend said how long this lease can live: no need to wait for a short renewal to learn it
        maxLeaseLife = Duration.between(now, announcedMaxEnd);
      }
      leaseMaxEnd = announcedMaxEnd != null ? announcedMaxEnd : maxLeaseLife == null ? null : now.plus(maxLeaseLife);
      lifePhaseReplacement = null;
      if (leaseMaxEnd != null && !lifePhaseDrawn && fresh.renewable() && leaseTtl != null) {
        lifePhaseDrawn = true;
        lifePhaseReplacement = planner.replacement(now, leaseMaxEnd, leaseTtl, true);
      }
      if (!shortTtlWarned && planner.tooShortForPolicy(leaseTtl)) {
        shortTtlWarned = true;
        log.warn("{}: lease TTL {} is short for attemptTimeout {}; each attempt gets {} so that retries fit", origin,
            DurationFormat.of(java.util.Objects.requireNonNull(leaseTtl)), DurationFormat.of(policy.attemptTimeout()),
            DurationFormat.of(planner.attemptTimeout(leaseTtl)));
      }
    }
    trackLease(fresh);
    publish(new Snapshot(fresh, t.ring(), Phase.ACTIVE));
    forgetMatchesOutside(t.ring());

    if (t.first()) {
      log.info("{}: fetched version {}", origin, fresh.version());
      out.add(new CredentialCreated(name, now, fresh.version()));
    } else if (t.rotated()) {
      rotations++;
      log.info("{}: rotated from version {} to {}", origin, old.version(), fresh.version());
      out.add(new CredentialRotated(name, now, old.version(), fresh.version()));
    } else if (t.contentChanged()) {
      rotations++;
      log.warn("{}: version {} changed its content without a new version id; serving the new content as a rotation",
          origin, fresh.version());
      out.add(new CredentialRotated(name, now, old.version(), fresh.version()));
    }
    checkOverdue(fresh, now, out);
  }

  @SuppressWarnings("NullAway") // a renewal only follows a fetch, so the snapshot has a ring
  private void applyRenewal(Credential renewed, Instant now, List<CredentialEvent> out) {
    Snapshot s = snapshot;
    publish(new Snapshot(renewed, KeyRingTransitions.afterRenewal(s.ring, renewed), Phase.ACTIVE));
    trackLease(renewed);
    renewedOnce = true;
    Duration remaining = renewed.remainingAt(now).orElse(null);
    Instant renewedEnd = renewed.expiresAt().orElse(null);
    if (remaining != null && leaseTtl != null && renewedEnd != null
        && remaining.compareTo(leaseTtl.minus(leaseTtl.dividedBy(MAX_TTL_TOLERANCE_DIVISOR))) < 0) {
      // the backend capped the renewal: this lease ends there, and the next ones live as long
      leaseMaxEnd = renewedEnd;
      if (leaseStart != null && renewedEnd.isAfter(leaseStart)) {
        maxLeaseLife = Duration.between(leaseStart, renewedEnd);
      }
    }
    if (remaining != null && leaseTtl != null && remaining.toMillis() < leaseTtl.toMillis() * NEAR_MAX_TTL_SHARE) {
      nearMaxTtl = true;
      log.info("{}: lease {} renewed for only {} (max TTL near); it will be replaced", origin, renewed.version(),
          DurationFormat.of(remaining));
    }
    out.add(new CredentialRenewed(name, now, renewed.version(), renewed.expiresAt().orElse(null)));
  }

  private void onAttemptFailed(Cycle cycle, int attempt, Throwable error, boolean circuitOpen) {
    List<CredentialEvent> out = new ArrayList<>();
    boolean gaveUp;
    boolean failStartup = false;
    lock.lock();
    try {
      if (inFlight != cycle || snapshot.phase == Phase.CLOSED) {
        return;
      }
      Instant now = clock.instant();
      FailureKind kind = BackendException.classify(error);
      String message = origin.describe(error);
      consecutiveFailures++;
      failedAttempts++;
      lastFailure = new CredentialStatus.Failure(now, kind, message);
      lastFailureReason = CredentialOrigin.reasonOf(error);
      if (!circuitOpen) {
        lastBackendFailure = CredentialOrigin.reasonOf(error);
      }
      boolean firstFailure = degradedSince == null;
      if (firstFailure) {
        degradedSince = now;
      }
      boolean renewFailed = cycle.action == Action.RENEW;
      cycle.action = Action.FETCH; // a failed renewal is followed by a new credential
      if (renewFailed) {
        // the new lease is issued when the backend is back, with everyone else's: draw its life phase again
        lifePhaseDrawn = false;
      }
      Credential current = snapshot.servable;
      Instant expiry = current == null ? null : current.expiresAt().orElse(null);
      Duration attemptTimeout = planner.attemptTimeout(leaseTtl);

      // a scheduled poll of a value that stays valid is in no hurry: one quick retry for a blip, then
      // the next poll on the credential's own grid (a fleet hit by an outage neither hammers the
      // backend nor comes back in step); start-up, on-demand refreshes and leases use every attempt
      boolean validStatic = current != null && expiry == null;
      int attemptLimit = current != null && cycle.reason == FetchReason.SCHEDULED && planner.unhurried(now, expiry)
          ? Math.min(maxAttempts, RefreshPlanner.UNHURRIED_ATTEMPTS) : maxAttempts;
      Duration delay = null;
      if (renewFailed && kind == FailureKind.PERMANENT) {
        delay = Duration.ZERO; // the lease is gone: fetch a new one at once, whatever the retry limit
      } else if (cycle.startup && kind == FailureKind.TRANSIENT) {
        delay = proposedBackoff(attempt, error); // a blocking start retries until its deadline
      } else if (attempt < attemptLimit && !circuitOpen && (renewFailed || retryOn.test(error))) {
        delay = planner.retryDelay(proposedBackoff(attempt, error), now, expiry, attemptTimeout, attemptLimit - attempt)
            .orElse(null);
      }
      Instant next;
      if (delay != null) {
        gaveUp = false;
        next = now.plus(delay);
        nextRefreshAt = next;
        cycle.waitingForRetry = true;
        cancel(refreshTask);
        refreshTask = scheduler.schedule(() -> runAttempt(cycle, attempt), delay);
      } else {
        gaveUp = true;
        inFlight = null;
        failedCycles++;
        if (current != null && current.leaseId().isPresent()) {
          // the replacement comes when the backend is back, with everyone else's: draw the next one wide again
          respread = true;
        }
        if (cycle.startup) {
          failStartup = true;
          next = null;
        } else if (validStatic && current != null) {
          // a failed poll is a missed poll: the next one comes on this credential's own grid
          next = nextPoll(now, current);
          schedule(next, Action.FETCH, now);
        } else {
          boolean expired = current == null;
          // a permanent failure (403, 404) will not fix itself soon: back off by the whole cap at once
          int cycles = kind == FailureKind.PERMANENT && !circuitOpen ? Integer.MAX_VALUE : failedCycles;
          Duration wait = planner.cycleBackoff(cycles, now, expiry, attemptTimeout, expired);
          next = now.plus(wait);
          schedule(next, Action.FETCH, now);
        }
      }
      String what = renewFailed ? "renewal" : "fetch";
      if (firstFailure && current != null) {
        log.warn("{}: {} failed, credential DEGRADED: serving version {}{} while retrying ({}); next attempt at {}",
            origin, what, current.version(),
            expiry == null ? "" : " until it expires at " + expiry, CredentialOrigin.reasonOf(error), next);
      } else {
        log.debug("{}: {} attempt {} failed ({}): {}; {}", origin, what, attempt, kind.name().toLowerCase(),
            CredentialOrigin.reasonOf(error), next == null ? "giving up" : "next attempt at " + next);
      }
      out.add(new RefreshFailed(name, now, attempt, kind, next, message, error));
    } finally {
      lock.unlock();
    }
    out.forEach(events::dispatch);
    if (gaveUp) {
      cycle.result.completeExceptionally(error);
    }
    if (failStartup) {
      close();
    }
  }

  private Duration proposedBackoff(int attempt, Throwable error) {
    if (backoff == DEFAULT_BACKOFF) {
      return planner.defaultRetryBackoff(attempt); // the same policy, jittered from this credential's random source
    }
    long millis = backoff.apply(Math.min(attempt, MAX_BACKOFF_ATTEMPT), Either.left(error));
    return Duration.ofMillis(Math.max(0, millis));
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** Under lock: schedules the refresh that follows a success. */
  private void planNext(Instant now) {
    Credential c = java.util.Objects.requireNonNull(snapshot.servable, "planned after a success");
    Optional<Instant> end = c.expiresAt();
    if (end.isEmpty()) {
      schedule(nextPoll(now, c), Action.FETCH, now);
      return;
    }
    Duration ttl = leaseTtl != null ? leaseTtl : Duration.between(now, end.get());
    if (c.renewable() && !nearMaxTtl) {
      Instant renewal = planner.renewalWithRoom(now, end.get(), ttl, !renewedOnce, planner.attemptTimeout(leaseTtl),
          leaseMaxEnd);
      if (lifePhaseReplacement != null && !lifePhaseReplacement.isAfter(renewal)) {
        // this lease's drawn replacement point comes first (now, if a late answer brought us past it)
        schedule(lifePhaseReplacement.isAfter(now) ? lifePhaseReplacement : now, Action.FETCH, now);
        return;
      }
      schedule(renewal, Action.RENEW, now);
      return;
    }
    boolean wide = !replacedOnce || respread;
    respread = false;
    schedule(wide ? planner.firstReplacement(now, end.get(), ttl) : planner.replacement(now, end.get(), ttl, false),
        Action.FETCH, now);
  }

  /** Under lock: the next poll of an unleased secret, on this credential's own grid. */
  private Instant nextPoll(Instant now, Credential c) {
    // every grid point is computed from the first one (the phase), so that the finer grid around a
    // scheduled rotation never shifts it
    Instant nextRotation = c.nextRotation().orElse(null);
    Instant phase = pollPhase;
    Instant at;
    if (phase == null) {
      // the first point is itself random over the whole interval: no jitter on top, which near the
      // start would pull some polls onto the start instant
      phase = planner.firstPollBase(now);
      pollPhase = phase;
      at = phase;
    } else {
      Instant base = planner.nextPollBase(phase, now.plus(policy.refreshInterval().dividedBy(2)), now, nextRotation);
      at = planner.pollAt(base, now);
    }
    if (nextChange != null) {
      // the backend announced its next change: look right after it, unless the regular poll comes first
      Instant announced = planner.afterAnnouncedChange(nextChange, now);
      at = announced.isBefore(at) ? announced : at;
    }
    return at;
  }

  private void schedule(Instant at, Action action, Instant now) {
    cancel(refreshTask);
    nextRefreshAt = at;
    Duration delay = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
    refreshTask = scheduler.schedule(new ScheduledRefresh(this, action), delay);
  }

  /** The planned refresh: one self-guarding object, as every credential holds one at all times. */
  private static final class ScheduledRefresh extends GuardedScheduler.SelfGuarded {
    private final RefreshingCredential engine;
    private final Action action;

    ScheduledRefresh(RefreshingCredential engine, Action action) {
      this.engine = engine;
      this.action = action;
    }

    @Override
    GuardedScheduler scheduler() {
      return engine.scheduler;
    }

    @Override
    void runGuarded() {
      engine.onScheduledRefresh(action);
    }
  }

  // ---- lifecycle timers ---------------------------------------------------------------------

  // the engine is its timers' handler itself, so that a credential holds no adapter object for them

  @Override
  public void expiryDue(Credential c) {
    onExpiryDue(c);
  }

  @Override
  public void expiring(Credential c) {
    onExpiring(c);
  }

  @Override
  public void prune() {
    onPrune();
  }

  @Override
  public void overdueCheck(Credential c) {
    onOverdueCheck(c);
  }

  private void onPrune() {
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (s.ring == null || s.phase == Phase.CLOSED) {
        return;
      }
      Instant now = clock.instant();
      KeyRing pruned = KeyRingTransitions.prune(s.ring, now);
      if (pruned != s.ring) {
        Set<String> kept = new HashSet<>();
        pruned.entries().forEach(e -> kept.add(e.credential().version()));
        s.ring.entries().stream().filter(e -> !kept.contains(e.credential().version())).forEach(e ->
            log.info("{}: version {} left the key ring ({} window over)", origin, e.credential().version(),
                e.slot() == KeySlot.PREVIOUS ? "grace" : "validity"));
        publish(new Snapshot(s.servable, pruned, s.phase));
        forgetMatchesOutside(pruned);
      }
      forgetExpiredLeases(now);
      timers.prune(pruned, now);
    } finally {
      lock.unlock();
    }
  }

  private void onExpiryDue(Credential c) {
    boolean refresh = false;
    Cycle cycle = null;
    CredentialEvent expired;
    lock.lock();
    try {
      Snapshot s = snapshot;
      if (s.servable != c) {
        return;
      }
      Instant now = clock.instant();
      Instant end = c.expiresAt().orElseThrow();
      if (now.isBefore(end)) {
        timers.armExpiry(c, end, now);
        return;
      }
      publish(new Snapshot(null, s.ring, Phase.EXPIRED));
      log.error("{}: version {} reached its hard expiry at {} without a replacement; get() now fails until a fetch succeeds",
          origin, c.version(), end);
      if (inFlight == null) {
        cycle = new Cycle(FetchReason.SCHEDULED, Action.FETCH, false);
        inFlight = cycle;
        cancel(refreshTask);
        refreshTask = null;
        refresh = true;
      }
      expired = new CredentialExpired(name, now, c.version());
    } finally {
      lock.unlock();
    }
    events.dispatch(expired);
    if (refresh) {
      runAttempt(java.util.Objects.requireNonNull(cycle), 0);
    }
  }

  private void onExpiring(Credential c) {
    if (snapshot.servable == c) {
      Instant now = clock.instant();
      events.dispatch(new CredentialExpiring(name, now, c.version(), c.remainingAt(now).orElse(Duration.ZERO)));
    }
  }

  private void onOverdueCheck(Credential c) {
    List<CredentialEvent> out = new ArrayList<>();
    lock.lock();
    try {
      if (snapshot.servable == c) {
        checkOverdue(c, clock.instant(), out);
      }
    } finally {
      lock.unlock();
    }
    out.forEach(events::dispatch);
  }

  /** Under lock: reports each planned rotation time that passed, once per version and due time. */
  private void checkOverdue(Credential c, Instant now, List<CredentialEvent> out) {
    c.nextRotation().ifPresent(due -> {
      String key = c.version() + "@" + due;
      if (!now.isBefore(due) && !key.equals(overdueReported)) {
        overdueReported = key;
        log.warn("{}: version {} is overdue for rotation (planned at {})", origin, c.version(), due);
        out.add(new CredentialOverdue(name, now, c.version(), due));
      }
    });
  }

  @Override
  public void onBreakerTransition(CircuitBreakerOnStateTransitionEvent e) {
    if (snapshot.phase != Phase.CLOSED) {
      events.dispatch(new CircuitStateChanged(name, clock.instant(), provider.backendId(),
          e.getStateTransition().getFromState(), e.getStateTransition().getToState()));
    }
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
      Instant now = clock.instant();
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
      log.debug("{}: refresh after rejection did not complete: {}", origin, e.toString());
      return null;
    }
  }

  @Override
  public Optional<KeyMatch> verify(String presentedKey) {
    java.util.Objects.requireNonNull(presentedKey, "presentedKey");
    Optional<KeyMatch> match;
    try {
      match = keyRing().match(presentedKey.getBytes(java.nio.charset.StandardCharsets.UTF_8), clock.instant(), keyField);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(origin + ": cannot verify a presented key: " + e.getMessage()
          + "; set keyField(\"<field>\") on the credential's builder to name the field callers present", e);
    }
    if (match.isPresent()) {
      matchCounters().count(match.get());
    }
    return match;
  }

  /** The match counters, created on first use; lock-free (concurrent first matches agree on one). */
  private MatchCounters matchCounters() {
    while (true) {
      MatchCounters m = matchCounters;
      if (m != null) {
        return m;
      }
      MatchCounters created = new MatchCounters();
      if (MATCH_COUNTERS.compareAndSet(this, null, created)) {
        return created;
      }
    }
  }

  /** Whether any match was counted (the counters exist); for tests. */
  boolean hasMatchCounters() {
    return matchCounters != null;
  }

  /**
   * Under lock: match counts are kept for the versions in the ring and the last
   * {@value #RETIRED_MATCH_COUNTS} that left it (so that an operator still sees whether a retired key
   * was presented), not for every version ever seen.
   */
  private void forgetMatchesOutside(KeyRing ring) {
    MatchCounters m = matchCounters;
    if (m == null || m.byVersion.isEmpty()) {
      return;
    }
    Set<String> live = new HashSet<>();
    ring.entries().forEach(e -> live.add(e.credential().version()));
    java.util.ArrayDeque<String> retired = m.retired;
    if (retired != null) {
      retired.removeIf(live::contains);
    }
    for (String version : m.byVersion.keySet()) {
      if (!live.contains(version) && (retired == null || !retired.contains(version))) {
        if (retired == null) {
          retired = new java.util.ArrayDeque<>(RETIRED_MATCH_COUNTS + 1);
          m.retired = retired;
        }
        retired.addLast(version);
      }
    }
    while (retired != null && retired.size() > RETIRED_MATCH_COUNTS) {
      m.byVersion.remove(retired.pollFirst());
    }
  }

  @Override
  public Map<KeySlot, Long> matchCountsBySlot() {
    MatchCounters m = matchCounters;
    Map<KeySlot, Long> counts = new EnumMap<>(KeySlot.class);
    for (KeySlot slot : KeySlot.values()) {
      counts.put(slot, m == null ? 0L : m.bySlot[slot.ordinal()].sum());
    }
    return java.util.Collections.unmodifiableMap(counts);
  }

  @Override
  public Map<String, Long> matchCounts() {
    MatchCounters m = matchCounters;
    if (m == null) {
      return Map.of();
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    m.byVersion.forEach((version, n) -> counts.put(version, n.sum()));
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
          lastSuccess(), lastFailure, consecutiveFailures, nextRefreshAt, breaker.getState(),
          successfulRefreshes, failedAttempts, rotations);
    } finally {
      lock.unlock();
    }
  }

  /** Under lock. */
  private @Nullable Instant lastSuccess() {
    return lastSuccessSecond == NEVER ? null : Instant.ofEpochSecond(lastSuccessSecond, lastSuccessNano);
  }

  /** Whether a provider call is outstanding (answered or not, timed out or not); for tests. */
  boolean callOutstanding() {
    lock.lock();
    try {
      return outstanding != null;
    } finally {
      lock.unlock();
    }
  }

  /** Whether a refresh cycle is in flight; for tests. */
  boolean refreshInFlight() {
    lock.lock();
    try {
      return inFlight != null;
    } finally {
      lock.unlock();
    }
  }

  /** Leases tracked for revocation on close; for tests. */
  int trackedLeases() {
    lock.lock();
    try {
      return issuedLeases == null ? 0 : issuedLeases.length;
    } finally {
      lock.unlock();
    }
  }

  /** Whether any issued lease is tracked (the record exists only then); for tests. */
  boolean tracksAnyLease() {
    lock.lock();
    try {
      return issuedLeases != null;
    } finally {
      lock.unlock();
    }
  }

  // ---- issued leases (under lock) ------------------------------------------------------------------

  /** Remembers a lease this process obtained (or renewed: it replaces its entry), for revocation on close. */
  private void trackLease(Credential lease) {
    String id = lease.leaseId().orElse(null);
    if (id == null) {
      return;
    }
    Credential[] leases = issuedLeases;
    int i = indexOfLease(leases, id);
    if (i >= 0) {
      java.util.Objects.requireNonNull(leases)[i] = lease;
    } else if (leases == null) {
      issuedLeases = new Credential[] {lease};
    } else {
      Credential[] more = java.util.Arrays.copyOf(leases, leases.length + 1);
      more[leases.length] = lease;
      issuedLeases = more;
    }
  }

  /** A late renewal of a lease that was replaced meanwhile: its new end counts, if it is still tracked. */
  private void updateTrackedLease(Credential renewed) {
    String id = renewed.leaseId().orElse(null);
    Credential[] leases = issuedLeases;
    int i = id == null ? -1 : indexOfLease(leases, id);
    if (i >= 0) {
      java.util.Objects.requireNonNull(leases)[i] = renewed;
    }
  }

  private void forgetExpiredLeases(Instant now) {
    Credential[] leases = issuedLeases;
    if (leases == null) {
      return;
    }
    int live = 0;
    for (Credential c : leases) {
      live += c.isExpiredAt(now) ? 0 : 1;
    }
    if (live == leases.length) {
      return;
    }
    Credential[] kept = new Credential[live];
    int k = 0;
    for (Credential c : leases) {
      if (!c.isExpiredAt(now)) {
        kept[k++] = c;
      }
    }
    issuedLeases = live == 0 ? null : kept;
  }

  private static int indexOfLease(Credential @Nullable [] leases, String id) {
    if (leases != null) {
      for (int i = 0; i < leases.length; i++) {
        if (leases[i].leaseId().filter(id::equals).isPresent()) {
          return i;
        }
      }
    }
    return -1;
  }

  @Override
  public void addListener(CredentialListener listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    lock.lock();
    try {
      EventDispatcher<CredentialEvent> d = events == NO_LISTENERS
          ? new EventDispatcher<>(context.events, EventDispatcher.DEFAULT_CAPACITY, origin)
          : events;
      d.subscribe(listener, listener.toString(), e -> e.deliverTo(listener));
      events = d;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean removeListener(CredentialListener listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    return events.unsubscribe(listener);
  }

  /** Whether a listener was ever added, i.e. the credential has an event dispatcher of its own; for tests. */
  boolean hasOwnEventDispatcher() {
    return events != NO_LISTENERS;
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
      Instant now = clock.instant();
      cycle = inFlight;
      inFlight = null;
      cancel(refreshTask);
      refreshTask = null;
      timers.cancelAll();
      nextRefreshAt = null;
      if (revokeOnClose && issuedLeases != null) {
        for (Credential c : issuedLeases) {
          if (!c.isExpiredAt(now)) {
            toRevoke.add(c);
          }
        }
      }
      issuedLeases = null;
      // the key ring goes too: nothing keeps a secret reachable from a closed credential
      publish(new Snapshot(null, null, Phase.CLOSED));
      MatchCounters m = matchCounters;
      if (m != null) {
        // per-version counts go; the totals by slot stay, as they are monotonic for metrics
        m.byVersion.clear();
        m.retired = null;
      }
      // a call still outstanding revokes what it issued itself when it returns (see accept)
    } finally {
      lock.unlock();
    }
    scheduler.stop();
    BreakerFanOut.leave(breaker, this);
    if (cycle != null) {
      cycle.result.completeExceptionally(origin.unavailable("closed"));
    }
    revokeOnIo(toRevoke);
    try {
      provider.close();
    } catch (RuntimeException e) {
      log.warn("{}: closing the provider failed: {}", origin, e.toString());
    }
    if (ownsContext) {
      context.close();
    }
  }

  /** Revokes on the I/O executor (one call after another), waiting a bounded time; inline if it refuses. */
  private void revokeOnIo(List<Credential> leases) {
    if (leases.isEmpty()) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      context.io.execute(() -> {
        try {
          revokeNow(leases);
        } finally {
          done.complete(null);
        }
      });
    } catch (RejectedExecutionException e) {
      revokeNow(leases);
      return;
    }
    Duration wait = policy.attemptTimeout().multipliedBy(Math.min(leases.size(), 3));
    try {
      done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("{}: lease revocation did not finish within {}; it goes on in the background", origin,
          DurationFormat.of(wait));
    }
  }

  private void revokeNow(List<Credential> leases) {
    for (Credential lease : leases) {
      try {
        provider.revoke(lease);
        log.info("{}: revoked lease {}", origin, lease.version());
      } catch (RuntimeException e) {
        log.warn("{}: revoking lease {} failed: {}", origin, lease.version(), CredentialOrigin.reasonOf(e));
      }
    }
  }

  // ---- small helpers ---------------------------------------------------------------------------

  private static void cancel(Scheduler.@Nullable Cancellable task) {
    if (task != null) {
      task.cancel();
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  @Override
  public String toString() {
    return "RotatingCredential[" + name + ", " + provider.backend() + " " + provider.path() + "]";
  }
}
