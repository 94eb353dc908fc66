package io.github.rotate4j;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Every timing decision of the engine, and nothing else: when to poll, renew or replace, how long an
 * attempt may take, how long to wait before a retry or after a failed cycle. Pure apart from its
 * random source: each method takes {@code now} and returns an instant or a duration, so that it is
 * tested directly.
 *
 * <p>Spreading a fleet is this class's job. A static secret's first poll has a random phase over the
 * whole interval and every later poll stays on that phase ({@link #nextPollBase}); a lease's first
 * renewal is drawn over a wide window; a replacement that must happen before a deadline is drawn over
 * a window that <em>ends</em> at the deadline (never a symmetric jitter clamped onto it, which would
 * put half a fleet on the same instant); failed cycles back off exponentially with full jitter.
 *
 * <p>Not thread-safe (the random source may not be): the engine calls it under its lock.
 */
final class RefreshPlanner {

  /**
   * The first renewal of a lease is drawn over [ratio/20, ratio] of its TTL: nearly the whole renewal
   * period, so that a fleet whose leases were issued together renews spread out from the first cycle.
   */
  static final double FIRST_RENEWAL_LOW_SHARE = 0.05;
  /** A renewal is never planned in the last 5% of a lease. */
  static final double RENEWAL_CAP_SHARE = 0.95;
  /** An attempt never takes more than a tenth of the lease it is meant to renew or replace. */
  static final int ATTEMPTS_PER_TTL = 10;
  static final Duration MIN_ATTEMPT_TIMEOUT = Duration.ofMillis(100);
  /** The first failed cycle backs off up to an eighth of the cap, doubling after each further one. */
  static final int FIRST_CYCLE_BACKOFF_DIVISOR = 8;
  /** An expired credential probes four times as often as a degraded one. */
  static final int EXPIRED_PROBE_DIVISOR = 4;

  private final RefreshPolicy policy;
  private final RandomGenerator random;

  RefreshPlanner(RefreshPolicy policy, RandomGenerator random) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.random = Objects.requireNonNull(random, "random");
  }

  RefreshPolicy policy() {
    return policy;
  }

  // ---- static secrets -----------------------------------------------------------------------

  /** The phase of a new poller: uniform over the whole interval, so that a fleet started together spreads at once. */
  Instant firstPollBase(Instant now) {
    if (!spreads()) {
      return now.plus(policy.refreshInterval());
    }
    return now.plus(uniform(Duration.ZERO, policy.refreshInterval()));
  }

  /**
   * The next point of this poller's own grid ({@code base + k * interval}) after {@code now}: the
   * phase is kept across cycles, failures and recoveries, so a fleet that spread stays spread. The
   * engine passes {@code now + interval/2} after a refresh, so that a poll never follows another one
   * (scheduled or on demand) by less than half an interval.
   */
  Instant nextPollBase(Instant base, Instant now) {
    Duration interval = policy.refreshInterval();
    if (base.isAfter(now)) {
      return base;
    }
    long behind = Duration.between(base, now).toNanos() / Math.max(1, interval.toNanos());
    Instant next = base.plus(interval.multipliedBy(behind + 1));
    return next.isAfter(now) ? next : next.plus(interval);
  }

  /** Polls far from a scheduled rotation stretch up to this many intervals. */
  static final int MAX_STRETCH_INTERVALS = 12;
  /** Around a scheduled rotation, polls come this many times per interval. */
  static final int CLOSE_POLLS_PER_INTERVAL = 5;

  /**
   * Schedule-aware polling: the next grid point after {@code notBefore}, but far from the secret's
   * scheduled rotation ({@code next_rotation}) the poller skips grid points (at most
   * {@value #MAX_STRETCH_INTERVALS} intervals ahead, half the way to the rotation, and never past two
   * intervals before it), and from two intervals before the rotation to one interval after it, it
   * polls {@value #CLOSE_POLLS_PER_INTERVAL} times per interval on a finer grid with the same phase.
   * Unscheduled rotations are still seen at the normal pace near the rotation and through
   * rejection-driven refresh ({@code call}, {@code reportRejected}) everywhere else.
   */
  Instant nextPollBase(Instant base, Instant notBefore, Instant now, @Nullable Instant nextRotation) {
    Instant regular = nextPollBase(base, notBefore);
    if (nextRotation == null) {
      return regular;
    }
    Duration interval = policy.refreshInterval();
    Instant windowStart = nextRotation.minus(interval);
    Instant windowEnd = nextRotation.plus(interval);
    if (!now.isBefore(windowStart.minus(interval)) && now.isBefore(windowEnd)) {
      // close to the rotation: a finer grid with the same phase
      Duration step = interval.dividedBy(CLOSE_POLLS_PER_INTERVAL);
      Instant fine = base;
      Instant earliest = now.plus(step.dividedBy(2));
      if (fine.isBefore(earliest)) {
        long steps = Duration.between(fine, earliest).toNanos() / Math.max(1, step.toNanos()) + 1;
        fine = fine.plus(step.multipliedBy(steps));
      }
      return fine.isBefore(regular) ? fine : regular;
    }
    if (now.isBefore(windowStart)) {
      Duration half = Duration.between(now, windowStart).dividedBy(2);
      Instant target = now.plus(min(half, interval.multipliedBy(MAX_STRETCH_INTERVALS)));
      Instant stretched = nextPollBase(base, target);
      return stretched.isAfter(windowStart) ? nextPollBase(base, windowStart.minus(interval)) : stretched;
    }
    return regular;
  }

  /** A poll near its grid point: ±jitter of the interval around it, never before {@code now}. */
  Instant pollAt(Instant base, Instant now) {
    Duration spread = scale(policy.refreshInterval(), policy.jitter());
    Instant at = base.minus(spread).plus(uniform(Duration.ZERO, spread.multipliedBy(2)));
    return at.isBefore(now) ? now : at;
  }

  /**
   * A poll just after a change the backend announced ({@link io.github.rotate4j.spi.FetchResult#nextChange()}),
   * see {@link ChangeSchedule}; the engine takes it when it comes before the regular poll.
   */
  Instant afterAnnouncedChange(Instant nextChange, Instant now) {
    return now.plus(ChangeSchedule.delay(nextChange, now, spreads() ? random.nextDouble() : 0));
  }

  // ---- leases -------------------------------------------------------------------------------

  /**
   * When to renew a lease ending at {@code end}: the first renewal anywhere in [ratio/20, ratio] of
   * what is left (a wide phase: nearly a whole renewal period), later ones at ratio ± jitter; never
   * in the last 5% of the lease.
   */
  Instant renewal(Instant now, Instant end, boolean first) {
    Duration remaining = positive(Duration.between(now, end));
    double ratio = policy.refreshRatio();
    double share = first && spreads()
        ? ratio * (FIRST_RENEWAL_LOW_SHARE + random.nextDouble() * (1 - FIRST_RENEWAL_LOW_SHARE))
        : ratio * (1 + (random.nextDouble() * 2 - 1) * policy.jitter());
    return now.plus(scale(remaining, Math.min(share, RENEWAL_CAP_SHARE)));
  }

  /**
   * A renewal that leaves room for a replacement when the lease's max TTL is within reach: if the
   * renewal comes back short, a replacement must still be issued {@code minOverlap} before the end.
   * {@code maxEnd} is the latest end the backend will give this lease, when the engine knows it (an
   * earlier renewal came back short, or an earlier lease showed the max lifetime); {@code null} when
   * unknown. Only when a renewal at the planned instant could reach {@code maxEnd}, and that instant
   * falls after {@code latestReplacement(maxEnd) - attemptTimeout}, is the renewal drawn over a window
   * that ends there instead (never clamped onto it). Every other renewal stays at the planned ratio:
   * pulling every renewal forward would renew a short lease far more often than its ratio says, and a
   * first lease whose max TTL is not known yet accepts a shorter overlap for its one short answer
   * (the engine replaces it at once).
   */
  Instant renewalWithRoom(Instant now, Instant end, Duration ttl, boolean first, Duration attemptTimeout,
      @Nullable Instant maxEnd) {
    Instant planned = renewal(now, end, first);
    if (maxEnd == null || !maxEnd.isBefore(planned.plus(ttl))) {
      return planned; // the renewal cannot come back short
    }
    Instant limit = maxEnd.isAfter(end) ? maxEnd : end;
    Instant latest = latestReplacement(limit, ttl).minus(attemptTimeout);
    if (!planned.isAfter(latest)) {
      return planned;
    }
    if (!latest.isAfter(now)) {
      return planned; // no room either way: renew as planned, a short answer is replaced at once
    }
    Duration toLatest = Duration.between(now, latest);
    Duration width = scale(toLatest, 2 * policy.jitter() / (1 + policy.jitter()));
    return width.isZero() ? latest : latest.minus(uniform(Duration.ZERO, width));
  }

  /**
   * When to fetch a replacement for a lease ending at {@code end} whose TTL was {@code ttl}. The
   * first replacement of a credential (leases issued together share one deadline) is drawn uniformly
   * over the whole span from {@code now} to the latest instant that still leaves {@code minOverlap}:
   * a wide phase, as for the first poll and the first renewal. Later ones are drawn uniformly over a
   * window that ends at that latest instant (or the nominal refresh point plus jitter, if that comes
   * first), as wide as the jitter band, so each instance keeps the phase its first replacement gave
   * its leases. If the deadline has passed, now.
   */
  Instant replacement(Instant now, Instant end, Duration ttl, boolean first) {
    Instant latest = latestReplacement(end, ttl);
    if (!latest.isAfter(now)) {
      return now;
    }
    if (first && spreads()) {
      return now.plus(uniform(Duration.ZERO, Duration.between(now, latest)));
    }
    ReplacementWindow w = replacementWindow(now, end, latest);
    if (w.width().isZero()) {
      return now.plus(w.end());
    }
    return now.plus(w.end()).minus(uniform(Duration.ZERO, w.width()));
  }

  /**
   * The first replacement of a non-renewable lease: uniform over one replacement period (the mean
   * of the window later replacements are drawn from, never past the deadline), so that the first
   * replacements and the ones that follow them tile the timeline evenly. Drawing over the whole span
   * to the deadline instead would put the start of the second generation on top of the end of the
   * first one.
   */
  Instant firstReplacement(Instant now, Instant end, Duration ttl) {
    Instant latest = latestReplacement(end, ttl);
    if (!latest.isAfter(now) || !spreads()) {
      return replacement(now, end, ttl, false);
    }
    ReplacementWindow w = replacementWindow(now, end, latest);
    return now.plus(uniform(Duration.ZERO, w.end().minus(w.width().dividedBy(2))));
  }

  /**
   * Where later replacements are drawn, as offsets from {@code now}: a window as wide as the jitter
   * band that ends at the nominal refresh point plus jitter, or at {@code latest} if that comes first.
   */
  private ReplacementWindow replacementWindow(Instant now, Instant end, Instant latest) {
    Duration nominal = scale(Duration.between(now, end), policy.refreshRatio());
    Duration windowEnd = min(scale(nominal, 1 + policy.jitter()), Duration.between(now, latest));
    return new ReplacementWindow(windowEnd, scale(windowEnd, 2 * policy.jitter() / (1 + policy.jitter())));
  }

  private record ReplacementWindow(Duration end, Duration width) {}

  /** The latest instant a replacement may be issued: {@code minOverlap} before the old lease ends. */
  Instant latestReplacement(Instant end, Duration ttl) {
    return end.minus(policy.minOverlapFor(ttl));
  }

  /**
   * How long one backend call may take: the policy's attempt timeout, but at most a tenth of the
   * lease's TTL (never under 100 ms), so that a short lease still leaves room for retries.
   */
  Duration attemptTimeout(@Nullable Duration ttl) {
    Duration configured = policy.attemptTimeout();
    if (ttl == null) {
      return configured;
    }
    Duration share = max(ttl.dividedBy(ATTEMPTS_PER_TTL), MIN_ATTEMPT_TIMEOUT);
    return min(configured, share);
  }

  /** Whether a lease of this TTL is too short for the configured attempt timeout (worth a warning). */
  boolean tooShortForPolicy(@Nullable Duration ttl) {
    return ttl != null && attemptTimeout(ttl).compareTo(policy.attemptTimeout()) < 0;
  }

  // ---- failures -----------------------------------------------------------------------------

  /**
   * Attempts of a scheduled poll whose value stays valid (an unleased secret): one quick retry for a
   * blip, then the next poll on the credential's own grid. A fleet hit by an outage then calls the
   * backend no more often than it polls, and comes back at its own phases, not in step.
   */
  static final int UNHURRIED_ATTEMPTS = 2;

  /** A lease is unhurried while more than this many recovery caps are left before its expiry. */
  static final int UNHURRIED_LEASE_CAPS = 4;

  /**
   * Whether a credential that still serves a value valid until {@code expiry} ({@code null}: no
   * expiry) can let a failed scheduled refresh wait: one quick retry, then a wait spread over the
   * time it has (the next poll for an unleased secret; half the time left for a lease).
   */
  boolean unhurried(Instant now, @Nullable Instant expiry) {
    if (expiry == null) {
      return true;
    }
    Duration cap = min(policy.recoveryInterval(), policy.refreshInterval());
    return Duration.between(now, expiry).compareTo(cap.multipliedBy(UNHURRIED_LEASE_CAPS)) > 0;
  }

  /**
   * The default retry backoff ({@link RotatingCredentialBuilder#DEFAULT_RETRY_CONFIG}: 1 s doubling up
   * to 30 s, ±50 %), drawn from this planner's random source rather than Resilience4j's
   * {@code Math.random()}, so that a seeded credential is reproducible.
   */
  Duration defaultRetryBackoff(int attempt) {
    long capped = DEFAULT_RETRY_EXPONENTIAL.apply(Math.max(1, attempt)); // 1 s doubling, at most 30 s
    double factor = 1 - DEFAULT_RETRY_RANDOMIZATION + 2 * DEFAULT_RETRY_RANDOMIZATION * random.nextDouble();
    return Duration.ofMillis(Math.min(DEFAULT_RETRY_MAX.toMillis(), (long) (capped * factor)));
  }

  static final Duration DEFAULT_RETRY_INITIAL = Duration.ofSeconds(1);
  static final Duration DEFAULT_RETRY_MAX = Duration.ofSeconds(30);
  static final double DEFAULT_RETRY_RANDOMIZATION = 0.5;
  /** The default policy's exponential part, without its randomization (which this planner draws). */
  private static final IntervalFunction DEFAULT_RETRY_EXPONENTIAL =
      IntervalFunction.ofExponentialBackoff(DEFAULT_RETRY_INITIAL, 2.0, DEFAULT_RETRY_MAX);

  /**
   * The delay before the next attempt of a cycle: the retry policy's proposal, shortened so that the
   * {@code attemptsLeft} remaining attempts (each up to {@code attemptTimeout}) all fit before
   * {@code expiry}. Empty when there is no room left for another attempt.
   */
  Optional<Duration> retryDelay(Duration proposed, Instant now, @Nullable Instant expiry, Duration attemptTimeout, int attemptsLeft) {
    if (expiry == null) {
      return Optional.of(proposed);
    }
    Instant latestStart = expiry.minus(attemptTimeout);
    if (!latestStart.isAfter(now)) {
      return Optional.empty();
    }
    Duration room = Duration.between(now, latestStart).dividedBy(Math.max(1, attemptsLeft));
    return Optional.of(min(proposed, room));
  }

  /**
   * The wait after the {@code failedCycles}-th cycle in a row gave up: exponential (an eighth of the
   * cap, doubling) with full jitter, {@code uniform(0, bound)}, so that a fleet failing together does
   * not retry together. The cap is {@code min(recoveryInterval, refreshInterval)}, a quarter of it
   * once the credential has expired, and never past the point where an attempt could still finish
   * before {@code expiry}; when no attempt fits before it any more, shortly after {@code expiry}.
   */
  Duration cycleBackoff(int failedCycles, Instant now, @Nullable Instant expiry, Duration attemptTimeout, boolean expired) {
    Duration cap = min(policy.recoveryInterval(), policy.refreshInterval());
    if (expired) {
      cap = cap.dividedBy(EXPIRED_PROBE_DIVISOR);
    }
    Duration bound = cap.dividedBy(FIRST_CYCLE_BACKOFF_DIVISOR);
    for (int i = 1; i < failedCycles && bound.compareTo(cap) < 0; i++) {
      bound = bound.multipliedBy(2);
    }
    bound = min(bound, cap);
    if (expiry != null && !expired) {
      Instant latestStart = expiry.minus(attemptTimeout);
      if (!latestStart.isAfter(now)) {
        // no attempt fits before the expiry any more: probe once it has passed, as an expired credential does
        Duration untilExpiry = expiry.isAfter(now) ? Duration.between(now, expiry) : Duration.ZERO;
        Duration probe = cap.dividedBy(EXPIRED_PROBE_DIVISOR * FIRST_CYCLE_BACKOFF_DIVISOR);
        return untilExpiry.plus(uniform(Duration.ZERO, probe));
      }
      Duration room = Duration.between(now, latestStart);
      // a lease with time to spare spreads its retry over half of what is left rather than the cap, so
      // that the backlog of an outage drains over minutes, not seconds; a lease near its end uses the cap
      bound = unhurried(now, expiry) ? max(bound, room.multipliedBy(3).dividedBy(4)) : min(bound, room);
    }
    return spreads() ? uniform(Duration.ZERO, bound) : bound;
  }

  // ---- arithmetic ---------------------------------------------------------------------------

  /** A jitter of 0 turns every random spread off: deterministic schedules, for tests (never for a fleet). */
  private boolean spreads() {
    return policy.jitter() > 0;
  }

  private Duration uniform(Duration from, Duration to) {
    long span = to.minus(from).toNanos();
    return span <= 0 ? from : from.plusNanos(random.nextLong(span + 1));
  }

  static Duration scale(Duration d, double factor) {
    return Duration.ofNanos((long) (d.toNanos() * factor));
  }

  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
