package io.github.rotate4j;

import io.github.rotate4j.spi.CredentialProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Rotating credentials created on first use: {@link #get(String) get(name)} builds a credential from
 * the provider that {@code providerFactory} returns for that name, starts it, and keeps it refreshing
 * in the background; later calls return the same credential. Like AWS's {@code SecretCache}, any
 * secret id can be asked for without registering it first, but values are refreshed ahead of time
 * instead of on read.
 *
 * <pre>{@code
 * try (OnDemandCredentials secrets = OnDemandCredentials.builder(
 *         secretId -> AwsSecretsManagerProvider.builder(secretId).client(client).build())
 *     .maximumSize(500)
 *     .expireAfterIdle(Duration.ofHours(1))
 *     .build()) {
 *   String key = secrets.get("prod/payments/api-key").get().secretString();
 * }
 * }</pre>
 *
 * <p><b>Bounds:</b> at most {@link Builder#maximumSize} credentials are kept (default
 * {@value #DEFAULT_MAXIMUM_SIZE}); one not looked up through {@link #get} for
 * {@link Builder#expireAfterIdle} (default 1 h) is evicted even if nobody calls again. An evicted
 * credential is closed: its refreshes stop and the leases it obtained are revoked. Look credentials
 * up through {@link #get} each time you use them (a hash lookup, no I/O once started) rather than
 * keeping a reference: a kept reference is closed when its entry is evicted, and a later
 * {@code get(name)} creates a new one.
 *
 * <p><b>Threads:</b> the credentials share one clock, scheduler, I/O and event executor (by default
 * Rotate4j's shared daemon threads) and one circuit breaker per backend, like a
 * {@link CredentialRegistry}. Evicted credentials are closed on the I/O executor.
 *
 * <p><b>Dependency:</b> uses Caffeine for the bounds, an optional dependency of rotate4j-core: add
 * {@code com.github.ben-manes.caffeine:caffeine} (3.x) to your build to use this class.
 *
 * <p>Thread-safe. Concurrent first calls for one name create and start a single credential; the
 * others wait for it.
 */
public final class OnDemandCredentials implements AutoCloseable {

  /** The default maximum number of credentials kept: {@value}. */
  public static final long DEFAULT_MAXIMUM_SIZE = 1_000;
  /** The default idle time after which an unused credential is evicted: 1 hour. */
  public static final Duration DEFAULT_EXPIRE_AFTER_IDLE = Duration.ofHours(1);

  private final OnDemandStore store;

  private OnDemandCredentials(Builder b) {
    this.store = new OnDemandStore(b);
  }

  /**
   * Starts building on-demand credentials whose providers come from {@code providerFactory}, called
   * once per name, on first access (it must not block for long: the backend is read when the
   * credential starts, not by the factory).
   *
   * @throws IllegalStateException if Caffeine is not on the class path
   */
  public static Builder builder(Function<String, ? extends CredentialProvider> providerFactory) {
    Objects.requireNonNull(providerFactory, "providerFactory");
    requireCaffeine("com.github.benmanes.caffeine.cache.Caffeine");
    return new Builder(providerFactory);
  }

  static void requireCaffeine(String className) {
    try {
      Class.forName(className, false, OnDemandCredentials.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("OnDemandCredentials needs Caffeine on the class path: add the dependency "
          + "com.github.ben-manes.caffeine:caffeine (3.x) to your build", e);
    }
  }

  /**
   * The credential named {@code name}: created from the provider factory and started on first access
   * (blocking, within the start-up timeout), then returned as it is.
   *
   * @throws CredentialStartupException if the first fetch fails; nothing is kept, and the next call
   *     tries again
   * @throws IllegalStateException if closed
   */
  public RotatingCredential get(String name) {
    try {
      return getAsync(name).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw e;
    }
  }

  /**
   * Like {@link #get}, without waiting: the future completes when the credential has started (at
   * once if it already has).
   *
   * @throws IllegalStateException if closed
   */
  public CompletableFuture<RotatingCredential> getAsync(String name) {
    Objects.requireNonNull(name, "name");
    return store.get(name);
  }

  /** The credential named {@code name} if it exists and has started; never creates one. */
  public Optional<RotatingCredential> getIfPresent(String name) {
    Objects.requireNonNull(name, "name");
    return store.getIfPresent(name);
  }

  /** Names of the credentials kept now. */
  public Set<String> names() {
    return store.names();
  }

  /** Closes and forgets the credential named {@code name}, if there is one. */
  public void invalidate(String name) {
    Objects.requireNonNull(name, "name");
    store.invalidate(name);
  }

  /** Closes every credential (revoking their leases) and the threads they used. Idempotent. */
  @Override
  public void close() {
    store.close();
  }

  @Override
  public String toString() {
    return "OnDemandCredentials[" + store.names().size() + " credentials]";
  }

  /** Configures {@link OnDemandCredentials}. Not thread-safe; each setting may be made once. */
  public static final class Builder {
    final Function<String, ? extends CredentialProvider> providerFactory;
    @Nullable Long maximumSize;
    @Nullable Duration expireAfterIdle;
    @Nullable BiConsumer<String, RotatingCredentialBuilder> customizer;
    @Nullable Clock clock;
    @Nullable Scheduler scheduler;
    @Nullable Executor ioExecutor;
    @Nullable Executor eventExecutor;

    private Builder(Function<String, ? extends CredentialProvider> providerFactory) {
      this.providerFactory = providerFactory;
    }

    /**
     * The most credentials kept (default {@value OnDemandCredentials#DEFAULT_MAXIMUM_SIZE}); beyond it
     * the least likely to be used again are evicted and closed.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maximumSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("maximumSize must be at least 1, but was " + size);
      }
      this.maximumSize = once("maximumSize", this.maximumSize, size);
      return this;
    }

    /**
     * How long a credential may go without a {@link OnDemandCredentials#get} before it is evicted and
     * closed (default 1 hour). It is evicted on time even if no other call comes.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder expireAfterIdle(Duration idle) {
      Objects.requireNonNull(idle, "expireAfterIdle");
      if (idle.isZero() || idle.isNegative()) {
        throw new IllegalArgumentException("expireAfterIdle must be positive, but was " + idle);
      }
      this.expireAfterIdle = once("expireAfterIdle", this.expireAfterIdle, idle);
      return this;
    }

    /**
     * Sets each credential's policy, retry, circuit breaker and listeners (not its clock, scheduler
     * or executors, which are shared), given its name.
     */
    public Builder customizer(BiConsumer<String, RotatingCredentialBuilder> customizer) {
      this.customizer = once("customizer", this.customizer, customizer);
      return this;
    }

    /** The clock for every credential and for idle expiry (default {@link Clock#systemUTC()}). */
    public Builder clock(Clock clock) {
      this.clock = once("clock", this.clock, clock);
      return this;
    }

    /** The scheduler for refreshes and for evicting idle credentials; same time as {@link #clock}. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = once("scheduler", this.scheduler, scheduler);
      return this;
    }

    /** Where provider calls and the closing of evicted credentials run. Not shut down on close. */
    public Builder ioExecutor(Executor executor) {
      this.ioExecutor = once("ioExecutor", this.ioExecutor, executor);
      return this;
    }

    /** Where listeners run. Not shut down on close. */
    public Builder eventExecutor(Executor executor) {
      this.eventExecutor = once("eventExecutor", this.eventExecutor, executor);
      return this;
    }

    public OnDemandCredentials build() {
      return new OnDemandCredentials(this);
    }

    private static <T> T once(String setting, @Nullable T current, T value) {
      Objects.requireNonNull(value, setting);
      if (current != null) {
        throw new IllegalStateException(setting + " was already set to " + current);
      }
      return value;
    }
  }
}
