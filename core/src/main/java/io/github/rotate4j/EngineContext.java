package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Time, threads and circuit breakers shared by the credentials of one registry (or owned by one
 * stand-alone credential). Closing it shuts down only the executors it created itself.
 */
final class EngineContext implements AutoCloseable {

  static final long SHUTDOWN_WAIT_MILLIS = 5_000;

  final Clock clock;
  final Scheduler scheduler;
  final Executor io;
  final Executor events;
  private final List<ExecutorService> owned = new ArrayList<>();
  private final @Nullable ScheduledThreadPoolExecutor ownedScheduler;
  private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

  EngineContext(@Nullable Clock clock, @Nullable Scheduler scheduler, @Nullable Executor io, @Nullable Executor events) {
    this.clock = clock != null ? clock : Clock.systemUTC();
    if (scheduler != null) {
      this.scheduler = scheduler;
      this.ownedScheduler = null;
    } else {
      this.ownedScheduler = Threads.scheduler();
      this.scheduler = Scheduler.of(ownedScheduler);
    }
    if (io != null) {
      this.io = io;
    } else {
      ExecutorService e = Threads.io();
      owned.add(e);
      this.io = e;
    }
    if (events != null) {
      this.events = events;
    } else {
      ExecutorService e = Threads.events();
      owned.add(e);
      this.events = e;
    }
  }

  /** The breaker for a backend, created on first use with the given settings and this context's clock. */
  CircuitBreaker breakerFor(String backendId, CircuitBreakerConfig config) {
    return breakers.computeIfAbsent(backendId,
        id -> CircuitBreaker.of(id, CircuitBreakerConfig.from(config).clock(clock).build()));
  }

  @Override
  public void close() {
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
      Threads.shutdown(ownedScheduler, SHUTDOWN_WAIT_MILLIS);
    }
    // I/O first, events last, so that listeners still hear about the close-time revocations
    for (ExecutorService e : owned) {
      Threads.shutdown(e, SHUTDOWN_WAIT_MILLIS);
    }
  }
}
