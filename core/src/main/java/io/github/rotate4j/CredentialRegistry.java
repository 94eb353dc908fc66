package io.github.rotate4j;

import io.github.rotate4j.spi.CredentialProvider;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Many named rotating credentials sharing one scheduler, one I/O executor, one event executor and
 * one circuit breaker per backend. {@link #start()} fetches them all in parallel.
 *
 * <pre>{@code
 * try (CredentialRegistry registry = CredentialRegistry.builder()
 *     .register("db", vaultDbProvider, b -> b.refreshPolicy(policy))
 *     .register("payments-key", awsProvider)
 *     .build()) {
 *   registry.start();
 *   Credential db = registry.get("db").get();
 * }
 * }</pre>
 *
 * <p>Thread-safe once built. Closing the registry closes every credential and then the threads the
 * registry created.
 */
public final class CredentialRegistry implements AutoCloseable {

  private final EngineContext context;
  private final Map<String, RotatingCredential> credentials;

  private CredentialRegistry(Builder b) {
    this.context = new EngineContext(b.clock, b.scheduler, b.ioExecutor, b.eventExecutor);
    Map<String, RotatingCredential> map = new LinkedHashMap<>();
    b.registrations.forEach((name, reg) -> {
      RotatingCredentialBuilder rb = new RotatingCredentialBuilder(name, reg.provider);
      reg.customizer.accept(rb);
      map.put(name, rb.buildIn(context));
    });
    this.credentials = Collections.unmodifiableMap(map);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts every credential in parallel and waits for all of them. If one fails, the registry closes
   * itself (every credential, its leases and its threads) before throwing, so that
   * {@code try (var registry = builder.build().start())} leaks nothing when start-up fails.
   *
   * @throws CredentialStartupException for the first credential that failed, with the others'
   *     failures attached as suppressed exceptions
   */
  public CredentialRegistry start() {
    List<CompletableFuture<RotatingCredential>> all = new ArrayList<>();
    try {
      credentials.values().forEach(c -> all.add(c.startAsync()));
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
      return this;
    } catch (RuntimeException e) {
      RuntimeException failure = e instanceof CompletionException && e.getCause() instanceof RuntimeException re ? re : e;
      for (CompletableFuture<RotatingCredential> f : all) {
        Throwable other = f.isCompletedExceptionally() ? f.handle((c, t) -> t).join() : null;
        if (other instanceof CompletionException && other.getCause() != null) {
          other = other.getCause();
        }
        if (other != null && other != failure) {
          failure.addSuppressed(other);
        }
      }
      close();
      throw failure;
    }
  }

  /**
   * The credential registered under {@code name}.
   *
   * @throws IllegalArgumentException naming the known credentials if there is none by that name
   */
  public RotatingCredential get(String name) {
    RotatingCredential c = credentials.get(name);
    if (c == null) {
      throw new IllegalArgumentException("no credential named '" + name + "'; known: " + credentials.keySet());
    }
    return c;
  }

  /** The credential registered under {@code name}, if any. */
  public Optional<RotatingCredential> find(String name) {
    return Optional.ofNullable(credentials.get(name));
  }

  /** Names of every credential, in registration order. */
  public Set<String> names() {
    return credentials.keySet();
  }

  /**
   * The clock every credential of this registry runs on (the builder's, or the system clock): the
   * one to give providers and metrics that make up or compare instants of their own.
   */
  public java.time.Clock clock() {
    return context.clock;
  }

  /** Status of every credential, by name. */
  public Map<String, CredentialStatus> statuses() {
    Map<String, CredentialStatus> m = new LinkedHashMap<>();
    credentials.forEach((n, c) -> m.put(n, c.status()));
    return m;
  }

  @Override
  public void close() {
    credentials.values().forEach(RotatingCredential::close);
    context.close();
  }

  private record Registration(CredentialProvider provider, Consumer<RotatingCredentialBuilder> customizer) {}

  /** Configures a {@link CredentialRegistry}. Not thread-safe. */
  public static final class Builder {
    private @Nullable Clock clock;
    private @Nullable Scheduler scheduler;
    private @Nullable Executor ioExecutor;
    private @Nullable Executor eventExecutor;
    private final Map<String, Registration> registrations = new LinkedHashMap<>();

    private Builder() {}

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    public Builder ioExecutor(Executor executor) {
      this.ioExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder eventExecutor(Executor executor) {
      this.eventExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Registers a credential with default settings. */
    public Builder register(String name, CredentialProvider provider) {
      return register(name, provider, b -> {});
    }

    /**
     * Registers a credential; {@code customizer} sets its policy, retry, breaker and listeners (not
     * its clock, scheduler or executors, which the registry shares).
     *
     * @throws IllegalArgumentException if the name is taken
     */
    public Builder register(String name, CredentialProvider provider, Consumer<RotatingCredentialBuilder> customizer) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(customizer, "customizer");
      if (registrations.containsKey(name)) {
        throw new IllegalArgumentException("a credential named '" + name + "' is already registered");
      }
      registrations.put(name, new Registration(provider, customizer));
      return this;
    }

    public CredentialRegistry build() {
      return new CredentialRegistry(this);
    }
  }
}
