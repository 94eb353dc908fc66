package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time, threads and circuit breakers of one registry or one stand-alone credential.
 *
 * <p>Whatever the caller does not supply (scheduler, I/O executor, event executor) is borrowed, on
 * first use, from the process-wide {@link DefaultThreads}: one scheduler thread, a bounded I/O pool with a cap on
 * concurrent calls per backend, and one event thread, created when first needed and shut down when
 * the last context that borrowed them closes. So a thousand stand-alone credentials add a handful of
 * threads, not a thousand. Executors the caller supplies are used as given and never shut down.
 *
 * <p>Circuit breakers belong to the context: the credentials of one registry share one per backend,
 * a stand-alone credential has its own.
 */
final class EngineContext implements AutoCloseable {

  static final long SHUTDOWN_WAIT_MILLIS = 5_000;

  final Clock clock;
  final Scheduler scheduler;
  /** Every provider call may run here; prefer {@link #ioFor(String)}, which also caps calls per backend. */
  final Executor io;
  final Executor events;
  private final boolean sharedIo;
  private final SharedThreads shared;
  private final ReentrantLock borrowLock = new ReentrantLock();
  private volatile @Nullable DefaultThreads borrowed; // taken on first use, given back on close
  private boolean closed; // guarded by borrowLock
  private final ConcurrentHashMap<String, Executor> ioByBackend = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Threads.Permits> asyncByBackend = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

  /** The process-wide default threads that stand-alone credentials and registries share. */
  static final SharedThreads PROCESS_THREADS = new SharedThreads(IoSettings::fromSystemProperties);

  EngineContext(@Nullable Clock clock, @Nullable Scheduler scheduler, @Nullable Executor io, @Nullable Executor events) {
    this(clock, scheduler, io, events, PROCESS_THREADS);
  }

  EngineContext(@Nullable Clock clock, @Nullable Scheduler scheduler, @Nullable Executor io, @Nullable Executor events,
      SharedThreads shared) {
    this.shared = Objects.requireNonNull(shared, "shared");
    this.clock = clock != null ? clock : Clock.systemUTC();
    // what the caller does not supply is borrowed from the default threads when first used, so a
    // context that is never used (or fails to be set up) holds no reference to them
    this.scheduler = scheduler != null ? scheduler : (task, delay) -> threads().scheduler.schedule(task, delay);
    this.sharedIo = io == null;
    this.io = io != null ? io : task -> threads().io.execute(task);
    this.events = events != null ? events : task -> threads().events.execute(task);
  }

  /**
   * Where to run a call to the backend {@code backendId}: on the default threads, at most
   * {@link IoSettings#maxCallsPerBackend()} such calls run at once and the others wait their turn;
   * an executor supplied by the caller is returned as it is.
   */
  Executor ioFor(String backendId) {
    Objects.requireNonNull(backendId, "backendId");
    if (!sharedIo) {
      return io;
    }
    return ioByBackend.computeIfAbsent(backendId, id -> task -> threads().ioFor(id).execute(task));
  }

  /**
   * The bound on asynchronous calls outstanding at once to the backend {@code backendId} (see
   * {@link io.github.rotate4j.spi.AsyncCredentialProvider}): on the default threads, at most
   * {@link IoSettings#maxAsyncCallsPerBackend()}, shared by every context; with an I/O executor
   * supplied by the caller, no bound beyond one call per credential.
   *
   * @throws RejectedExecutionException once this context is closed
   */
  Threads.Permits asyncCallsFor(String backendId) {
    Objects.requireNonNull(backendId, "backendId");
    if (!sharedIo) {
      return asyncByBackend.computeIfAbsent(backendId, id -> new Threads.Permits(Integer.MAX_VALUE));
    }
    return threads().asyncCallsFor(backendId);
  }

  /**
   * The default threads, borrowed on first use.
   *
   * @throws RejectedExecutionException once this context is closed
   */
  private DefaultThreads threads() {
    DefaultThreads t = borrowed;
    if (t != null) {
      return t;
    }
    borrowLock.lock();
    try {
      if (closed) {
        throw new RejectedExecutionException("Rotate4j's engine context is closed");
      }
      if (borrowed == null) {
        borrowed = shared.acquire();
      }
      return borrowed;
    } finally {
      borrowLock.unlock();
    }
  }

  /** The breaker for a backend, created on first use with the given settings and this context's clock. */
  CircuitBreaker breakerFor(String backendId, CircuitBreakerConfig config) {
    return breakers.computeIfAbsent(backendId,
        id -> CircuitBreaker.of(id, CircuitBreakerConfig.from(config).clock(clock).build()));
  }

  /** Whether this context has borrowed the process-wide default threads (for tests and diagnostics). */
  boolean borrowsDefaultThreads() {
    return borrowed != null;
  }

  /**
   * Gives back the default threads if it borrowed them (the last context to do so shuts them down,
   * waiting a bounded time, except on one of their own threads); afterwards the borrowed executors
   * and scheduler refuse work with {@link RejectedExecutionException}. Idempotent.
   */
  @Override
  public void close() {
    DefaultThreads t;
    borrowLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      t = borrowed;
      borrowed = null;
    } finally {
      borrowLock.unlock();
    }
    if (t != null) {
      shared.release(t);
    }
  }

  /**
   * Settings of the default threads, read from system properties when they are created:
   * {@value #MAX_THREADS} (default {@value #DEFAULT_MAX_THREADS}), {@value #MAX_CALLS_PER_BACKEND}
   * (default {@value #DEFAULT_MAX_CALLS_PER_BACKEND}), {@value #MAX_ASYNC_CALLS_PER_BACKEND} (default
   * {@value #DEFAULT_MAX_ASYNC_CALLS_PER_BACKEND}) and {@value #VIRTUAL_THREADS} (default false).
   *
   * <p>{@code maxCallsPerBackend} bounds the calls that hold an I/O thread: a blocking provider's
   * calls, and the moment an asynchronous provider takes to start one. {@code maxAsyncCallsPerBackend}
   * bounds the asynchronous calls waiting for the network, which hold no thread: its default lets a
   * thousand credentials of one backend start in one wave, in about one fetch's latency, while ten
   * thousand do not put ten thousand requests in flight at once.
   */
  record IoSettings(int maxThreads, int maxCallsPerBackend, int maxAsyncCallsPerBackend, boolean virtualThreads) {
    static final String MAX_THREADS = "rotate4j.io.maxThreads";
    static final String MAX_CALLS_PER_BACKEND = "rotate4j.io.maxCallsPerBackend";
    static final String MAX_ASYNC_CALLS_PER_BACKEND = "rotate4j.io.maxAsyncCallsPerBackend";
    static final String VIRTUAL_THREADS = "rotate4j.io.virtualThreads";
    static final int DEFAULT_MAX_THREADS = 64;
    static final int DEFAULT_MAX_CALLS_PER_BACKEND = 32;
    static final int DEFAULT_MAX_ASYNC_CALLS_PER_BACKEND = 1_000;

    IoSettings {
      if (maxThreads < 1) {
        throw new IllegalArgumentException(MAX_THREADS + " must be at least 1, but was " + maxThreads);
      }
      if (maxCallsPerBackend < 1) {
        throw new IllegalArgumentException(MAX_CALLS_PER_BACKEND + " must be at least 1, but was " + maxCallsPerBackend);
      }
      if (maxAsyncCallsPerBackend < 1) {
        throw new IllegalArgumentException(MAX_ASYNC_CALLS_PER_BACKEND + " must be at least 1, but was "
            + maxAsyncCallsPerBackend);
      }
    }

    /** With the default bound on asynchronous calls. */
    IoSettings(int maxThreads, int maxCallsPerBackend, boolean virtualThreads) {
      this(maxThreads, maxCallsPerBackend, DEFAULT_MAX_ASYNC_CALLS_PER_BACKEND, virtualThreads);
    }

    static IoSettings fromSystemProperties() {
      return new IoSettings(intProperty(MAX_THREADS, DEFAULT_MAX_THREADS),
          intProperty(MAX_CALLS_PER_BACKEND, DEFAULT_MAX_CALLS_PER_BACKEND),
          intProperty(MAX_ASYNC_CALLS_PER_BACKEND, DEFAULT_MAX_ASYNC_CALLS_PER_BACKEND),
          booleanProperty(VIRTUAL_THREADS));
    }

    private static int intProperty(String name, int fallback) {
      String v = System.getProperty(name);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be a whole number, but was '" + v + "'", e);
      }
    }

    private static boolean booleanProperty(String name) {
      String v = System.getProperty(name);
      if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("false")) {
        return false;
      }
      if (v.trim().equalsIgnoreCase("true")) {
        return true;
      }
      throw new IllegalArgumentException(name + " must be true or false, but was '" + v + "'");
    }
  }

  /**
   * Reference-counted {@link DefaultThreads}: created by the first {@link #acquire()}, shut down by
   * the {@link #release} that brings the count back to zero (a later acquire creates new ones).
   */
  static final class SharedThreads {
    private final java.util.function.Supplier<IoSettings> settings;
    private final ReentrantLock lock = new ReentrantLock();
    private @Nullable DefaultThreads current; // guarded by lock
    private int users; // guarded by lock

    SharedThreads(java.util.function.Supplier<IoSettings> settings) {
      this.settings = settings;
    }

    /** The default threads, created if nobody holds them; each call needs one {@link #release}. */
    DefaultThreads acquire() {
      lock.lock();
      try {
        if (current == null) {
          current = new DefaultThreads(settings.get());
        }
        users++;
        return current;
      } finally {
        lock.unlock();
      }
    }

    void release(DefaultThreads threads) {
      lock.lock();
      try {
        if (threads != current || users == 0) {
          return;
        }
        if (--users > 0) {
          return;
        }
        current = null;
      } finally {
        lock.unlock();
      }
      threads.shutdown();
    }

    /** The default threads if somebody holds them now (for tests and diagnostics). */
    @Nullable DefaultThreads current() {
      lock.lock();
      try {
        return current;
      } finally {
        lock.unlock();
      }
    }

    /** How many contexts hold the default threads now. */
    int users() {
      lock.lock();
      try {
        return users;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * One scheduler thread, a bounded I/O pool (or virtual threads, bounded by a limiter) with a cap
   * per backend, and one event thread. Pool threads are daemon threads, started on demand; idle
   * ones end by themselves after {@value Threads#IDLE_SECONDS} s.
   */
  static final class DefaultThreads {
    private static final Logger log = LoggerFactory.getLogger(EngineContext.class);

    final IoSettings settings;
    final ScheduledThreadPoolExecutor schedulerPool;
    final Scheduler scheduler;
    final ExecutorService ioPool;
    /** All I/O: the pool (or the virtual-thread-per-task executor) limited to maxThreads tasks at once. */
    final Executor io;
    final ExecutorService eventPool;
    final Executor events;
    private final ConcurrentHashMap<String, Threads.Limited> byBackend = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Threads.Permits> asyncByBackend = new ConcurrentHashMap<>();

    DefaultThreads(IoSettings settings) {
      this.settings = settings;
      this.schedulerPool = Threads.scheduler();
      this.scheduler = Scheduler.of(schedulerPool);
      ExecutorService virtual = settings.virtualThreads() ? Threads.virtualIo().orElse(null) : null;
      if (settings.virtualThreads() && virtual == null) {
        log.info("{}=true but this Java ({}) has no virtual threads; using at most {} platform threads for I/O",
            IoSettings.VIRTUAL_THREADS, Runtime.version(), settings.maxThreads());
      }
      this.ioPool = virtual != null ? virtual : Threads.io(settings.maxThreads());
      this.io = new Threads.Limited(ioPool, settings.maxThreads());
      this.eventPool = Threads.events();
      this.events = new Threads.Limited(eventPool, Threads.EVENT_THREADS);
    }

    Executor ioFor(String backendId) {
      return byBackend.computeIfAbsent(backendId, id -> new Threads.Limited(io, settings.maxCallsPerBackend()));
    }

    Threads.Permits asyncCallsFor(String backendId) {
      return asyncByBackend.computeIfAbsent(backendId, id -> new Threads.Permits(settings.maxAsyncCallsPerBackend()));
    }

    boolean usesVirtualThreads() {
      return !(ioPool instanceof java.util.concurrent.ThreadPoolExecutor);
    }

    private void shutdown() {
      schedulerPool.shutdownNow();
      Threads.shutdown(schedulerPool, SHUTDOWN_WAIT_MILLIS);
      // I/O first, events last, so that listeners still hear about the close-time revocations
      Threads.shutdown(ioPool, SHUTDOWN_WAIT_MILLIS);
      Threads.shutdown(eventPool, SHUTDOWN_WAIT_MILLIS);
    }

    boolean isTerminated() {
      return schedulerPool.isTerminated() && ioPool.isTerminated() && eventPool.isTerminated();
    }
  }
}
