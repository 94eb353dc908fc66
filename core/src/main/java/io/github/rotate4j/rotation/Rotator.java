package io.github.rotate4j.rotation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Rotates one secret: GENERATE &rarr; STAGE &rarr; DISTRIBUTE &rarr; VERIFY &rarr; PROMOTE &rarr;
 * GRACE &rarr; REVOKE OLD, and ROLLBACK, as a durable state machine whose journal lives in the
 * {@link SecretStore}.
 *
 * <pre>{@code
 * Rotator rotator = Rotator.builder(store, issuer)
 *     .verifier(key -> paymentsApi.ping(key))
 *     .usageProbe(UsageProbe.issuerLastUse(issuer, Duration.ofHours(1)))
 *     .gracePeriod(Duration.ofHours(24))
 *     .schedule(RotationSchedule.every(Duration.ofDays(90)))
 *     .build();
 * RotationResult r = rotator.rotateIfDue();   // from cron; run again to move past the grace window
 * }</pre>
 *
 * <p><b>Runs do not block.</b> A call goes as far as it can and returns: a rotation waiting for its
 * distribution delay or grace window returns {@link RotationResult.Outcome#DISTRIBUTING} or
 * {@link RotationResult.Outcome#IN_GRACE} with {@link RotationResult#resumeAt()}; the next call (any
 * process) goes on from the journal.
 *
 * <p><b>After a crash.</b> Each step is recorded in the store before it acts, and each step is
 * idempotent, so a run stopped anywhere is completed by the next {@link #rotate()} or {@link
 * #resume()}: there is always exactly one current key, the old key is revoked only after the grace
 * window and when the usage probe says unused, and a key created at the issuer either reaches the
 * store or is revoked.
 *
 * <p><b>Racing rotators</b> are fenced by the store: exactly one wins, the other returns {@link
 * RotationResult.Outcome#CONFLICT}.
 *
 * <p>Thread-safe; immutable once built. Calls on one rotator are serialized by the store's
 * fencing, not by a lock.
 */
public final class Rotator {

  /** Default grace window of the old key after promotion: 1 hour. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofHours(1);
  /** Default wait between staging and verifying: none. */
  public static final Duration DEFAULT_DISTRIBUTION_DELAY = Duration.ZERO;
  /** Default rotation frequency: 90 days. */
  public static final Duration DEFAULT_FREQUENCY = Duration.ofDays(90);
  /** Default time past due after which a secret counts as overdue: 1 day. */
  public static final Duration DEFAULT_OVERDUE_AFTER = Duration.ofDays(1);

  final SecretStore store;
  final KeyIssuer issuer;
  final KeyVerifier verifier;
  final UsageProbe usageProbe;
  final Duration gracePeriod;
  final Duration distributionDelay;
  final RotationSchedule schedule;
  final Duration overdueAfter;
  final Clock clock;
  final Supplier<String> rotationIds;

  private Rotator(Builder b) {
    this.store = b.store;
    this.issuer = b.issuer;
    this.verifier = Objects.requireNonNull(b.verifier,
        "a verifier must be set (KeyVerifier.none() to skip verification explicitly)");
    this.usageProbe = b.usageProbe != null ? b.usageProbe
        : issuerReportsLastUse(b.issuer) ? UsageProbe.issuerLastUse(b.issuer, b.gracePeriod)
        : UsageProbe.afterTime(Duration.ZERO);
    this.gracePeriod = b.gracePeriod;
    this.distributionDelay = b.distributionDelay;
    this.schedule = b.schedule;
    this.overdueAfter = b.overdueAfter;
    this.clock = b.clock;
    this.rotationIds = b.rotationIds;
  }

  private static boolean issuerReportsLastUse(KeyIssuer issuer) {
    return issuer.reportsLastUse();
  }

  /** Starts a builder for rotating the secret in {@code store} with keys from {@code issuer}. */
  public static Builder builder(SecretStore store, KeyIssuer issuer) {
    return new Builder(store, issuer);
  }

  /**
   * Rotates now: resumes the rotation under way if there is one (see {@link #resume()}), otherwise
   * starts a new one, and goes as far as it can.
   */
  public RotationResult rotate() {
    return new RotationRun(this).rotate(false);
  }

  /** Like {@link #rotate()}, but starts a new rotation only when the schedule says it is due. */
  public RotationResult rotateIfDue() {
    return new RotationRun(this).rotate(true);
  }

  /**
   * Goes on with the rotation under way (stopped, waiting for its distribution delay or grace window,
   * or with a failed revocation) without starting a new one.
   *
   * @return {@link RotationResult.Outcome#NOTHING_TO_DO} when no rotation is under way
   */
  public RotationResult resume() {
    return new RotationRun(this).resume();
  }

  /**
   * Undoes the latest rotation: before promotion, revokes the new key and removes it from the store;
   * after promotion (and before the old key was revoked), makes the old key current again and then
   * revokes the new one. Refused ({@link RotationResult.Outcome#NEEDS_ATTENTION}) once the old key
   * was revoked, or when the issuer allows only one live key.
   */
  public RotationResult rollback() {
    return new RotationRun(this).rollback();
  }

  /** The secret's status now, read from the store; changes nothing. */
  public RotationStatus status() {
    return status(clock.instant());
  }

  /** The secret's status at {@code now}, read from the store; changes nothing. */
  public RotationStatus status(Instant now) {
    return new RotationRun(this).status(now);
  }

  /** Whether the secret is due for rotation at {@code now} by its schedule (reads the store). */
  public boolean isDue(Instant now) {
    return status(now).due();
  }

  /** The secret this rotator rotates, as its store names it. */
  public String secret() {
    return store.describe();
  }

  @Override
  public String toString() {
    return "Rotator[" + store.describe() + ", " + schedule + ", grace " + gracePeriod + "]";
  }

  /** Builds a {@link Rotator}. Each setting validates its value at once. Not thread-safe. */
  public static final class Builder {
    private final SecretStore store;
    private final KeyIssuer issuer;
    private KeyVerifier verifier;
    private UsageProbe usageProbe;
    private Duration gracePeriod = DEFAULT_GRACE_PERIOD;
    private Duration distributionDelay = DEFAULT_DISTRIBUTION_DELAY;
    private RotationSchedule schedule = RotationSchedule.every(DEFAULT_FREQUENCY);
    private Duration overdueAfter = DEFAULT_OVERDUE_AFTER;
    private Clock clock = Clock.systemUTC();
    private Supplier<String> rotationIds = () -> UUID.randomUUID().toString();

    private Builder(SecretStore store, KeyIssuer issuer) {
      this.store = Objects.requireNonNull(store, "store");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
    }

    /** Checks the new key against the real service before promotion. Required. */
    public Builder verifier(KeyVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      return this;
    }

    /**
     * Decides whether the old key is unused at the end of the grace window. Default: the issuer's
     * last-use data (quiet for the grace period) when the issuer reports it, otherwise time alone
     * (the grace window).
     */
    public Builder usageProbe(UsageProbe usageProbe) {
      this.usageProbe = Objects.requireNonNull(usageProbe, "usageProbe");
      return this;
    }

    /** How long the old key stays valid after promotion. Default {@link #DEFAULT_GRACE_PERIOD}. */
    public Builder gracePeriod(Duration gracePeriod) {
      this.gracePeriod = nonNegative(gracePeriod, "gracePeriod");
      return this;
    }

    /**
     * How long a staged key waits before verification and promotion, so that consumers pick it up
     * as their pending key first (their refresh interval). Default none.
     */
    public Builder distributionDelay(Duration distributionDelay) {
      this.distributionDelay = nonNegative(distributionDelay, "distributionDelay");
      return this;
    }

    /** When the secret is due. Default every {@link #DEFAULT_FREQUENCY}. */
    public Builder schedule(RotationSchedule schedule) {
      this.schedule = Objects.requireNonNull(schedule, "schedule");
      return this;
    }

    /** How long past due a secret counts as overdue. Default {@link #DEFAULT_OVERDUE_AFTER}. */
    public Builder overdueAfter(Duration overdueAfter) {
      this.overdueAfter = nonNegative(overdueAfter, "overdueAfter");
      return this;
    }

    /** The clock for every recorded time. Default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Makes rotation ids (default random UUIDs). Ids must be unique and 1 to 64 characters of
     * {@code [A-Za-z0-9._-]}; AWS needs at least 32.
     */
    public Builder rotationIds(Supplier<String> rotationIds) {
      this.rotationIds = Objects.requireNonNull(rotationIds, "rotationIds");
      return this;
    }

    private static Duration nonNegative(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, but was " + d);
      }
      return d;
    }

    /**
     * @throws NullPointerException when no verifier was set
     */
    public Rotator build() {
      return new Rotator(this);
    }
  }
}
