package io.github.rotate4j;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The timers that follow the current credential: hard expiry, the expiry warning, the end of grace
 * windows (pruning the key ring) and the overdue check. Not thread-safe: the engine calls it under
 * its lock; the handlers it runs take that lock themselves.
 *
 * <p>The expiry timer re-reads the wall clock at least every {@link #EXPIRY_RECHECK}: schedulers
 * measure delays on a monotonic clock that stands still while a machine is suspended, so after a
 * resume the wall clock can be ahead of every timer. Re-checking bounds how long {@code get()} can
 * serve a lease that expired during a suspension (the hot path itself reads no clock).
 */
final class LifecycleTimers {

  static final Duration EXPIRY_RECHECK = Duration.ofSeconds(30);

  /** What the timers call; each call re-checks that its credential is still the current one. */
  interface Handler {
    /** The expiry timer of {@code c} fired: expire it if the clock says so, else {@link #armExpiry} again. */
    void expiryDue(Credential c);

    void expiring(Credential c);

    void prune();

    void overdueCheck(Credential c);
  }

  private final GuardedScheduler scheduler;
  private final Handler handler;
  private Scheduler.@Nullable Cancellable expiry;
  private Scheduler.@Nullable Cancellable warning;
  private Scheduler.@Nullable Cancellable prune;
  private Scheduler.@Nullable Cancellable overdue;

  LifecycleTimers(GuardedScheduler scheduler, Handler handler) {
    this.scheduler = scheduler;
    this.handler = handler;
  }

  /** Re-arms every timer for a new current credential {@code c} (or a renewed one) and its ring. */
  void follow(Credential c, KeyRing ring, Instant now, @Nullable Duration ttl, Duration warningSetting) {
    cancel(expiry);
    cancel(warning);
    expiry = null;
    warning = null;
    c.expiresAt().ifPresent(end -> {
      armExpiry(c, end, now);
      Duration lifetime = ttl != null ? ttl : Duration.between(now, end);
      Duration threshold = RefreshPlanner.min(warningSetting, lifetime.dividedBy(6));
      Duration untilWarning = Duration.between(now, end).minus(threshold);
      if (!untilWarning.isNegative() && !threshold.isZero()) {
        warning = scheduler.schedule(new Timer(this, Timer.Kind.WARNING, c), untilWarning);
      }
    });
    prune(ring, now);
    cancel(overdue);
    overdue = null;
    c.nextRotation().filter(t -> t.isAfter(now)).ifPresent(t ->
        overdue = scheduler.schedule(new Timer(this, Timer.Kind.OVERDUE, c), Duration.between(now, t)));
  }

  /** Arms the expiry timer: at {@code end}, or earlier to re-read the clock (see the class comment). */
  void armExpiry(Credential c, Instant end, Instant now) {
    cancel(expiry);
    Duration left = Duration.between(now, end);
    Duration wait = left.isNegative() ? Duration.ZERO : RefreshPlanner.min(left, EXPIRY_RECHECK);
    expiry = scheduler.schedule(new Timer(this, Timer.Kind.EXPIRY, c), wait);
  }

  /** Re-arms the pruning timer for the earliest end of a non-current entry of {@code ring}. */
  void prune(KeyRing ring, Instant now) {
    cancel(prune);
    prune = KeyRingTransitions.nextPrune(ring)
        .map(t -> scheduler.schedule(new Timer(this, Timer.Kind.PRUNE, null),
            t.isAfter(now) ? Duration.between(now, t) : Duration.ZERO))
        .orElse(null);
  }

  void cancelAll() {
    cancel(expiry);
    cancel(warning);
    cancel(prune);
    cancel(overdue);
    expiry = warning = prune = overdue = null;
  }

  /** One armed timer: a single object, which guards itself (a lambda would need a guard around it). */
  private static final class Timer extends GuardedScheduler.SelfGuarded {
    enum Kind { EXPIRY, WARNING, PRUNE, OVERDUE }

    private final LifecycleTimers timers;
    private final Kind kind;
    private final @Nullable Credential credential; // the one it follows; none for PRUNE

    Timer(LifecycleTimers timers, Kind kind, @Nullable Credential credential) {
      this.timers = timers;
      this.kind = kind;
      this.credential = credential;
    }

    @Override
    GuardedScheduler scheduler() {
      return timers.scheduler;
    }

    @Override
    void runGuarded() {
      Handler h = timers.handler;
      switch (kind) {
        case EXPIRY -> h.expiryDue(java.util.Objects.requireNonNull(credential));
        case WARNING -> h.expiring(java.util.Objects.requireNonNull(credential));
        case OVERDUE -> h.overdueCheck(java.util.Objects.requireNonNull(credential));
        case PRUNE -> h.prune();
      }
    }
  }

  private static void cancel(Scheduler.@Nullable Cancellable c) {
    if (c != null) {
      c.cancel();
    }
  }
}
