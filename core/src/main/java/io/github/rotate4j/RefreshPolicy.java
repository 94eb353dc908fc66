package io.github.rotate4j;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * When a rotating credential refreshes, how long old keys stay valid, and how long start-up and
 * each backend call may take. Immutable; build one with {@link #custom()}.
 *
 * <pre>{@code
 * RefreshPolicy policy = RefreshPolicy.custom()
 *     .refreshInterval(Duration.ofMinutes(1))
 *     .gracePeriod(Duration.ofMinutes(30))
 *     .build();
 * }</pre>
 *
 * <p>Defaults (the {@code DEFAULT_*} constants): leases refresh at 2/3 of their TTL with ±10%
 * jitter; static secrets are polled every 5 minutes; previous keys stay valid for 1 hour; a lease
 * is replaced at least {@code max(TTL/3, 60 s)} before it ends (capped at half its TTL); on-demand
 * refreshes after a rejection run at most once per second.
 */
public final class RefreshPolicy {

  public static final double DEFAULT_REFRESH_RATIO = 2.0 / 3.0;
  public static final double DEFAULT_JITTER = 0.10;
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofHours(1);
  public static final Duration DEFAULT_MIN_OVERLAP_FLOOR = Duration.ofSeconds(60);
  public static final Duration DEFAULT_REJECTION_RATE_LIMIT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofMinutes(5);

  private static final RefreshPolicy DEFAULTS = custom().build();

  private final double refreshRatio;
  private final double jitter;
  private final Duration refreshInterval;
  private final Duration gracePeriod;
  private final @Nullable Duration minOverlap;
  private final Duration rejectionRateLimit;
  private final Duration startupTimeout;
  private final Duration attemptTimeout;
  private final Duration recoveryInterval;
  private final Duration expiryWarning;

  private RefreshPolicy(Builder b) {
    this.refreshRatio = b.refreshRatio;
    this.jitter = b.jitter;
    this.refreshInterval = b.refreshInterval;
    this.gracePeriod = b.gracePeriod;
    this.minOverlap = b.minOverlap;
    this.rejectionRateLimit = b.rejectionRateLimit;
    this.startupTimeout = b.startupTimeout;
    this.attemptTimeout = b.attemptTimeout;
    this.recoveryInterval = b.recoveryInterval;
    this.expiryWarning = b.expiryWarning;
  }

  /** The defaults. */
  public static RefreshPolicy ofDefaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** A builder starting from {@code base}. */
  public static Builder from(RefreshPolicy base) {
    Builder b = new Builder();
    b.refreshRatio = base.refreshRatio;
    b.jitter = base.jitter;
    b.refreshInterval = base.refreshInterval;
    b.gracePeriod = base.gracePeriod;
    b.minOverlap = base.minOverlap;
    b.rejectionRateLimit = base.rejectionRateLimit;
    b.startupTimeout = base.startupTimeout;
    b.attemptTimeout = base.attemptTimeout;
    b.recoveryInterval = base.recoveryInterval;
    b.expiryWarning = base.expiryWarning;
    return b;
  }

  /** Fraction of a lease's TTL after which it is renewed or replaced. */
  public double refreshRatio() {
    return refreshRatio;
  }

  /**
   * Random spread applied to every scheduled refresh, as a fraction (0.10 = ±10%). Any value above 0
   * also turns on the spreading that keeps a fleet from herding: a random phase for the first poll
   * (uniform over the whole interval), a wide window for the first renewal, replacement windows that
   * end at the deadline, and full jitter after failed cycles. 0 turns all of it off, for
   * deterministic tests; never use 0 for a fleet.
   */
  public double jitter() {
    return jitter;
  }

  /** How often a secret without a lease is polled for a new version. */
  public Duration refreshInterval() {
    return refreshInterval;
  }

  /** How long a previous key stays valid after a rotation (capped by its own expiry). */
  public Duration gracePeriod() {
    return gracePeriod;
  }

  /** A fixed overlap between a replacement lease and the old one's end, if set; otherwise derived from the TTL. */
  public Optional<Duration> minOverlap() {
    return Optional.ofNullable(minOverlap);
  }

  /**
   * The overlap for a lease of the given TTL: the configured one, or {@code max(ttl/3, 60 s)}; never
   * more than half the TTL, so that a short lease is not replaced in a loop.
   */
  public Duration minOverlapFor(Duration ttl) {
    Duration wanted = minOverlap != null ? minOverlap : max(ttl.dividedBy(3), DEFAULT_MIN_OVERLAP_FLOOR);
    Duration cap = ttl.dividedBy(2);
    return wanted.compareTo(cap) > 0 ? cap : wanted;
  }

  /** Minimum time between two forced refreshes caused by rejections. */
  public Duration rejectionRateLimit() {
    return rejectionRateLimit;
  }

  /** How long {@code start()} waits for the first credential, retries included. */
  public Duration startupTimeout() {
    return startupTimeout;
  }

  /** How long one backend call may take before it counts as a transient failure. */
  public Duration attemptTimeout() {
    return attemptTimeout;
  }

  /** After a refresh cycle gave up (retries exhausted, permanent error, open circuit): delay until the next cycle. */
  public Duration recoveryInterval() {
    return recoveryInterval;
  }

  /** An {@code expiring} event is published when this little time is left (capped at 1/6 of the TTL). */
  public Duration expiryWarning() {
    return expiryWarning;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return "RefreshPolicy[refreshRatio=" + refreshRatio + ", jitter=" + jitter + ", refreshInterval="
        + refreshInterval + ", gracePeriod=" + gracePeriod + ", minOverlap="
        + (minOverlap == null ? "max(ttl/3, 60s)" : minOverlap) + ", rejectionRateLimit=" + rejectionRateLimit
        + ", startupTimeout=" + startupTimeout + ", attemptTimeout=" + attemptTimeout
        + ", recoveryInterval=" + recoveryInterval + ", expiryWarning=" + expiryWarning + "]";
  }

  /** Builds a {@link RefreshPolicy}; every setter validates its argument. */
  public static final class Builder {
    private double refreshRatio = DEFAULT_REFRESH_RATIO;
    private double jitter = DEFAULT_JITTER;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private Duration gracePeriod = DEFAULT_GRACE_PERIOD;
    private @Nullable Duration minOverlap;
    private Duration rejectionRateLimit = DEFAULT_REJECTION_RATE_LIMIT;
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
    private Duration recoveryInterval = DEFAULT_RECOVERY_INTERVAL;
    private Duration expiryWarning = DEFAULT_EXPIRY_WARNING;

    private Builder() {}

    /** Must be in (0, 1). */
    public Builder refreshRatio(double ratio) {
      if (!(ratio > 0 && ratio < 1)) {
        throw new IllegalArgumentException("refreshRatio must be between 0 and 1 (exclusive), but was " + ratio);
      }
      this.refreshRatio = ratio;
      return this;
    }

    /** Must be in [0, 0.5]. */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 0.5)) {
        throw new IllegalArgumentException("jitter must be between 0 and 0.5, but was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = positive("refreshInterval", interval);
      return this;
    }

    /** Zero turns the grace window off: the old key is dropped at rotation. */
    public Builder gracePeriod(Duration grace) {
      this.gracePeriod = notNegative("gracePeriod", grace);
      return this;
    }

    public Builder minOverlap(Duration overlap) {
      this.minOverlap = positive("minOverlap", overlap);
      return this;
    }

    /** Zero disables the limit. */
    public Builder rejectionRateLimit(Duration limit) {
      this.rejectionRateLimit = notNegative("rejectionRateLimit", limit);
      return this;
    }

    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = positive("startupTimeout", timeout);
      return this;
    }

    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = positive("attemptTimeout", timeout);
      return this;
    }

    public Builder recoveryInterval(Duration interval) {
      this.recoveryInterval = positive("recoveryInterval", interval);
      return this;
    }

    public Builder expiryWarning(Duration warning) {
      this.expiryWarning = notNegative("expiryWarning", warning);
      return this;
    }

    public RefreshPolicy build() {
      return new RefreshPolicy(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be greater than 0, but was " + d);
      }
      return d;
    }

    private static Duration notNegative(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, but was " + d);
      }
      return d;
    }
  }
}
