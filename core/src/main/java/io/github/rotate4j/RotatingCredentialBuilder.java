package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.spi.CredentialProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link RotatingCredential}. Obtain one from {@link RotatingCredential#builder}.
 * Not thread-safe; each setter may be called once.
 *
 * <p>Everything has a default: the refresh policy ({@link RefreshPolicy#ofDefaults()}), the retry
 * policy ({@link #DEFAULT_RETRY_CONFIG}), the circuit breaker ({@link #DEFAULT_CIRCUIT_BREAKER_CONFIG}),
 * the system UTC clock, and daemon threads for scheduling ({@code rotate4j-scheduler-*}), backend
 * I/O ({@code rotate4j-io-*}) and events ({@code rotate4j-events-*}) that every credential and
 * registry without executors of its own shares, created on first use and stopped when the last of
 * them closes.
 */
public final class RotatingCredentialBuilder {

  /**
   * 4 attempts per refresh cycle, exponential backoff from 1 s doubling up to 30 s with ±50% random
   * spread; only transient failures are retried.
   */
  public static final RetryConfig DEFAULT_RETRY_CONFIG = RetryConfig.custom()
      .maxAttempts(4)
      .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(RefreshPlanner.DEFAULT_RETRY_INITIAL, 2.0,
          RefreshPlanner.DEFAULT_RETRY_RANDOMIZATION, RefreshPlanner.DEFAULT_RETRY_MAX))
      .retryOnException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
      .build();

  /**
   * Count-based window of the last 10 calls, at least 5 calls, opens at 50% transient failures,
   * waits 30 s before letting one probe through (half-open). Permanent failures (403, 404) do not
   * count: the backend answered.
   */
  public static final CircuitBreakerConfig DEFAULT_CIRCUIT_BREAKER_CONFIG = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
      .slidingWindowSize(10)
      .minimumNumberOfCalls(5)
      .failureRateThreshold(50)
      .waitDurationInOpenState(Duration.ofSeconds(30))
      .permittedNumberOfCallsInHalfOpenState(1)
      .recordException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
      .build();

  final String name;
  final CredentialProvider provider;
  @Nullable RefreshPolicy policy;
  @Nullable RetryConfig retryConfig;
  @Nullable CircuitBreakerConfig circuitBreakerConfig;
  @Nullable CircuitBreaker circuitBreaker;
  @Nullable Clock clock;
  @Nullable Scheduler scheduler;
  @Nullable Executor ioExecutor;
  @Nullable Executor eventExecutor;
  @Nullable RandomGenerator random;
  @Nullable Predicate<Throwable> rejectionClassifier;
  @Nullable Boolean lazyStart;
  @Nullable Boolean revokeOnClose;
  @Nullable String keyField;
  final List<CredentialListener> listeners = new ArrayList<>();

  RotatingCredentialBuilder(String name, CredentialProvider provider) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    this.name = name;
    this.provider = Objects.requireNonNull(provider, "provider");
  }

  public RotatingCredentialBuilder refreshPolicy(RefreshPolicy policy) {
    this.policy = once("refreshPolicy", this.policy, policy);
    return this;
  }

  /**
   * The retry policy for one refresh cycle. Rotate4j uses three of its settings: max attempts, the
   * interval function (backoff) and which exceptions are retried ({@code retryOnException},
   * {@code retryExceptions}, {@code ignoreExceptions}); the others (result predicates,
   * {@code failAfterMaxAttempts}, consumers) do not apply to a refresh and are not used. Attempts are
   * scheduled on Rotate4j's scheduler (no thread sleeps) and spaced so that the remaining ones finish
   * before the current credential's hard expiry.
   */
  public RotatingCredentialBuilder retryConfig(RetryConfig config) {
    this.retryConfig = once("retryConfig", this.retryConfig, config);
    return this;
  }

  /**
   * The circuit-breaker settings; the credential's clock is applied to them. Credentials of one
   * registry (or one default context) reading the same {@link CredentialProvider#backendId() backend}
   * share one breaker, created with the settings of the first of them.
   *
   * @throws IllegalStateException if {@link #circuitBreaker(CircuitBreaker)} was set: the two exclude
   *     each other
   */
  public RotatingCredentialBuilder circuitBreakerConfig(CircuitBreakerConfig config) {
    if (circuitBreaker != null) {
      throw new IllegalStateException("circuitBreakerConfig cannot be combined with circuitBreaker (already set to "
          + circuitBreaker.getName() + "): configure the breaker you pass instead");
    }
    this.circuitBreakerConfig = once("circuitBreakerConfig", this.circuitBreakerConfig, config);
    return this;
  }

  /**
   * Uses an existing circuit breaker, e.g. one shared by every credential of a backend. The
   * credential listens to it through one shared subscription per breaker and leaves it on close.
   *
   * @throws IllegalStateException if {@link #circuitBreakerConfig(CircuitBreakerConfig)} was set
   */
  public RotatingCredentialBuilder circuitBreaker(CircuitBreaker breaker) {
    if (circuitBreakerConfig != null) {
      throw new IllegalStateException("circuitBreaker cannot be combined with circuitBreakerConfig (already set): "
          + "configure the breaker you pass instead");
    }
    this.circuitBreaker = once("circuitBreaker", this.circuitBreaker, breaker);
    return this;
  }

  /** The clock for every time decision (default {@link Clock#systemUTC()}). */
  public RotatingCredentialBuilder clock(Clock clock) {
    this.clock = once("clock", this.clock, clock);
    return this;
  }

  /** The scheduler for refreshes, retries and expiry; it must use the same time as {@link #clock}. */
  public RotatingCredentialBuilder scheduler(Scheduler scheduler) {
    this.scheduler = once("scheduler", this.scheduler, scheduler);
    return this;
  }

  /** Where provider calls run (they may block). Not shut down on close: the caller owns it. */
  public RotatingCredentialBuilder ioExecutor(Executor executor) {
    this.ioExecutor = once("ioExecutor", this.ioExecutor, executor);
    return this;
  }

  /** Where listeners run. Not shut down on close: the caller owns it. */
  public RotatingCredentialBuilder eventExecutor(Executor executor) {
    this.eventExecutor = once("eventExecutor", this.eventExecutor, executor);
    return this;
  }

  /** The source of jitter (default: a thread-safe random). */
  public RotatingCredentialBuilder random(RandomGenerator random) {
    this.random = once("random", this.random, random);
    return this;
  }

  /**
   * Which exceptions thrown inside {@link RotatingCredential#call} mean "the downstream rejected the
   * key" (default: {@link CredentialRejectedException} anywhere in the cause chain).
   */
  public RotatingCredentialBuilder rejectionClassifier(Predicate<Throwable> classifier) {
    this.rejectionClassifier = once("rejectionClassifier", this.rejectionClassifier, classifier);
    return this;
  }

  /** Start without a value and fetch in the background; {@code get()} throws until the first fetch succeeds. */
  public RotatingCredentialBuilder lazyStart(boolean lazy) {
    this.lazyStart = once("lazyStart", this.lazyStart, lazy);
    return this;
  }

  /** Whether close revokes the leases this process obtained (default true). */
  public RotatingCredentialBuilder revokeOnClose(boolean revoke) {
    this.revokeOnClose = once("revokeOnClose", this.revokeOnClose, revoke);
    return this;
  }

  /**
   * For key/value secrets (a JSON object, a Vault KV entry): the field whose value callers present,
   * used by {@link RotatingCredential#verify}. Not needed for text, binary, username/password or
   * one-field secrets.
   */
  public RotatingCredentialBuilder keyField(String field) {
    this.keyField = once("keyField", this.keyField, field);
    return this;
  }

  /** Adds a listener; may be called many times. */
  public RotatingCredentialBuilder listener(CredentialListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** Builds the credential; call {@link RotatingCredential#start()} next. */
  public RotatingCredential build() {
    return new RefreshingCredential(settings(), new EngineContext(clock, scheduler, ioExecutor, eventExecutor), true);
  }

  /** Builds a credential that uses a registry's shared context. */
  RefreshingCredential buildIn(EngineContext shared) {
    if (clock != null || scheduler != null || ioExecutor != null || eventExecutor != null) {
      throw new IllegalStateException("credential '" + name
          + "' belongs to a registry: set clock, scheduler and executors on the registry");
    }
    return new RefreshingCredential(settings(), shared, false);
  }

  /** Every setting resolved: defaults applied, conflicts refused. The engine receives only finished values. */
  record Settings(
      String name,
      CredentialProvider provider,
      RefreshPolicy policy,
      RetryConfig retry,
      @Nullable CircuitBreaker circuitBreaker,
      @Nullable CircuitBreakerConfig circuitBreakerConfig,
      RandomGenerator random,
      Predicate<Throwable> rejectionClassifier,
      boolean lazyStart,
      boolean revokeOnClose,
      @Nullable String keyField,
      List<CredentialListener> listeners) {}

  Settings settings() {
    return new Settings(
        name,
        provider,
        policy != null ? policy : RefreshPolicy.ofDefaults(),
        retryConfig != null ? retryConfig : DEFAULT_RETRY_CONFIG,
        circuitBreaker,
        circuitBreaker != null ? null
            : circuitBreakerConfig != null ? circuitBreakerConfig : DEFAULT_CIRCUIT_BREAKER_CONFIG,
        random != null ? random : RandomGeneratorFactory.of("L64X128MixRandom").create(),
        rejectionClassifier != null ? rejectionClassifier : RotatingCredentialBuilder::hasRejectionCause,
        Boolean.TRUE.equals(lazyStart),
        !Boolean.FALSE.equals(revokeOnClose),
        keyField,
        List.copyOf(listeners));
  }

  static boolean hasRejectionCause(Throwable t) {
    for (Throwable cur = t; cur != null; cur = cur.getCause()) {
      if (cur instanceof CredentialRejectedException) {
        return true;
      }
    }
    return false;
  }

  private static <T> T once(String setting, @Nullable T current, T value) {
    Objects.requireNonNull(value, setting);
    if (current != null) {
      throw new IllegalStateException(setting + " was already set to " + current);
    }
    return value;
  }
}
