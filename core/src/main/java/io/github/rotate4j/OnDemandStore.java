package io.github.rotate4j;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.rotate4j.spi.CredentialProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Caffeine side of {@link OnDemandCredentials}, kept apart so that the public class loads (and
 * explains what is missing) without Caffeine on the class path.
 *
 * <p>An {@link AsyncCache} holds each credential's start-up future: the first caller starts the
 * credential, concurrent callers join the same future, a failed start leaves no entry. Caffeine's
 * time is the credentials' clock ({@link Ticker}), its timer is the credentials' scheduler (so idle
 * entries leave on time without a call), and its maintenance runs on the calling thread; closing an
 * evicted credential is handed to the I/O executor.
 */
final class OnDemandStore {

  private static final Logger log = LoggerFactory.getLogger(OnDemandCredentials.class);

  private final Function<String, ? extends CredentialProvider> providerFactory;
  private final BiConsumer<String, RotatingCredentialBuilder> customizer;
  private final EngineContext context;
  private final AsyncCache<String, RotatingCredential> cache;
  private volatile boolean closed;

  OnDemandStore(OnDemandCredentials.Builder b) {
    this.providerFactory = b.providerFactory;
    this.customizer = b.customizer != null ? b.customizer : (name, builder) -> {};
    this.context = new EngineContext(b.clock, b.scheduler, b.ioExecutor, b.eventExecutor);
    Clock clock = context.clock;
    this.cache = Caffeine.newBuilder()
        .maximumSize(b.maximumSize != null ? b.maximumSize : OnDemandCredentials.DEFAULT_MAXIMUM_SIZE)
        .expireAfterAccess(b.expireAfterIdle != null ? b.expireAfterIdle : OnDemandCredentials.DEFAULT_EXPIRE_AFTER_IDLE)
        .ticker(() -> nanos(clock.instant()))
        .scheduler(this::scheduleMaintenance)
        .executor(Runnable::run)
        .removalListener(this::onRemoval)
        .buildAsync();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Caffeine's timer on the credentials' scheduler. */
  private Future<?> scheduleMaintenance(Executor executor, Runnable command, long delay, TimeUnit unit) {
    CompletableFuture<Void> handle = new CompletableFuture<>();
    Scheduler.Cancellable task;
    try {
      task = context.scheduler.schedule(() -> {
        if (handle.complete(null)) {
          executor.execute(command);
        }
      }, Duration.ofNanos(unit.toNanos(delay)));
    } catch (RuntimeException e) {
      log.debug("on-demand credentials: expiry timer not scheduled ({})", e.toString());
      handle.complete(null);
      return handle;
    }
    handle.whenComplete((v, e) -> {
      if (handle.isCancelled()) {
        task.cancel();
      }
    });
    return handle;
  }

  CompletableFuture<RotatingCredential> get(String name) {
    checkOpen();
    return cache.get(name, (key, executor) -> create(key));
  }

  private CompletableFuture<RotatingCredential> create(String name) {
    RotatingCredential credential;
    try {
      CredentialProvider provider = java.util.Objects.requireNonNull(providerFactory.apply(name),
          () -> "the provider factory returned no provider for '" + name + "'");
      RotatingCredentialBuilder builder = new RotatingCredentialBuilder(name, provider);
      customizer.accept(name, builder);
      credential = builder.buildIn(context);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return credential.startAsync().handle((started, error) -> {
      if (error != null) {
        credential.close(); // a failed start leaves no entry and nothing running
        throw error instanceof java.util.concurrent.CompletionException ce ? ce : new java.util.concurrent.CompletionException(error);
      }
      if (closed) {
        credential.close();
        throw new IllegalStateException("on-demand credentials are closed");
      }
      return started;
    });
  }

  Optional<RotatingCredential> getIfPresent(String name) {
    CompletableFuture<RotatingCredential> f = cache.getIfPresent(name);
    if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
      return Optional.empty();
    }
    return Optional.of(f.join());
  }

  Set<String> names() {
    return Set.copyOf(cache.synchronous().asMap().keySet());
  }

  void invalidate(String name) {
    cache.synchronous().invalidate(name);
  }

  private void onRemoval(@Nullable String name, @Nullable RotatingCredential credential, RemovalCause cause) {
    if (credential == null) {
      return; // a start that failed: already closed
    }
    if (cause.wasEvicted()) {
      log.info("on-demand credential '{}' evicted ({}); closing it", name,
          cause == RemovalCause.SIZE ? "maximum size reached" : "idle");
    }
    try {
      context.io.execute(credential::close);
    } catch (RejectedExecutionException e) {
      credential.close();
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<RotatingCredential> all = new ArrayList<>();
    cache.asMap().values().forEach(f -> {
      if (f.isDone() && !f.isCompletedExceptionally()) {
        all.add(f.join());
      }
    });
    cache.synchronous().invalidateAll();
    all.forEach(RotatingCredential::close); // here, so that close() returns with every lease revoked
    context.close();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("on-demand credentials are closed");
    }
  }
}
