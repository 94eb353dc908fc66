package io.github.rotate4j;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Daemon thread pools with recognisable names (rotate4j-scheduler-N-M, rotate4j-io-N-M,
 * rotate4j-events-N-M), the per-backend cap on concurrent calls, and virtual threads where the
 * running Java has them (found by reflection: the baseline stays Java 17).
 */
final class Threads {

  private static final Logger log = LoggerFactory.getLogger(Threads.class);
  private static final AtomicInteger POOL = new AtomicInteger();
  private static final ThreadLocal<Boolean> OWN = ThreadLocal.withInitial(() -> Boolean.FALSE);
  static final long IDLE_SECONDS = 30;

  static final int EVENT_THREADS = 4;

  private Threads() {}

  static ThreadFactory named(String role) {
    int pool = POOL.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(marked(r), "rotate4j-" + role + "-" + pool + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static Runnable marked(Runnable r) {
    return () -> {
      OWN.set(Boolean.TRUE);
      r.run();
    };
  }

  /** True on a thread of one of Rotate4j's own pools. */
  static boolean onOwnThread() {
    return OWN.get();
  }

  /** One thread; it ends when no task is scheduled for {@value #IDLE_SECONDS} s. */
  static ScheduledThreadPoolExecutor scheduler() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, named("scheduler"));
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    s.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
    s.allowCoreThreadTimeOut(true);
    return s;
  }

  /**
   * At most {@code maxThreads} platform threads for I/O, started when no thread is idle; use it
   * through a {@link Limited} of the same bound, which queues what is beyond it.
   */
  static ThreadPoolExecutor io(int maxThreads) {
    return pool("io", maxThreads);
  }

  /**
   * A pool of up to {@code maxThreads} threads that starts one only when none is idle and lets
   * surplus threads end after {@value #IDLE_SECONDS} s idle: a task goes to the most recently idle
   * thread (the non-fair hand-off is last-in, first-out), so threads that are not needed stay idle
   * long enough to end, even under a steady trickle of tasks. It queues nothing: wrap it in a
   * {@link Limited} of the same bound. A submission that finds every thread taken (a thread between
   * two tasks) waits for the next one that comes free.
   */
  static ThreadPoolExecutor pool(String role, int maxThreads) {
    SynchronousQueue<Runnable> handOff = new SynchronousQueue<>();
    return new ThreadPoolExecutor(0, maxThreads, IDLE_SECONDS, TimeUnit.SECONDS, handOff, named(role),
        (task, pool) -> {
          try {
            while (!handOff.offer(task, 10, TimeUnit.MILLISECONDS)) {
              if (pool.isShutdown()) {
                throw new RejectedExecutionException("Rotate4j's " + role + " pool is shut down");
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RejectedExecutionException("interrupted while waiting for a free " + role + " thread", e);
          }
        });
  }

  /**
   * One new virtual thread per task (Java 21+), named rotate4j-io-virtual-N; empty on a Java without
   * virtual threads.
   */
  static Optional<ExecutorService> virtualIo() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Class<?> builderType = Class.forName("java.lang.Thread$Builder");
      builder = builderType.getMethod("name", String.class, long.class).invoke(builder, "rotate4j-io-virtual-", 1L);
      ThreadFactory factory = (ThreadFactory) builderType.getMethod("factory").invoke(builder);
      ThreadFactory marking = r -> factory.newThread(marked(r));
      Method perTask = java.util.concurrent.Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
      return Optional.of((ExecutorService) perTask.invoke(null, marking));
    } catch (NoSuchMethodException | ClassNotFoundException e) {
      return Optional.empty(); // Java 17 to 20
    } catch (IllegalAccessException | InvocationTargetException e) {
      log.warn("virtual threads are not available ({}); using platform threads for I/O", e.toString());
      return Optional.empty();
    }
  }

  /**
   * Up to {@value #EVENT_THREADS} event threads, so that one slow listener does not hold up the
   * others (each listener has its own serial queue in the engine); use it through a {@link Limited}
   * of {@value #EVENT_THREADS}.
   */
  static ThreadPoolExecutor events() {
    return pool("events", EVENT_THREADS);
  }

  /** Shuts down and waits up to {@code millis}; true if terminated. */
  static boolean shutdown(ExecutorService executor, long millis) {
    executor.shutdown();
    if (OWN.get()) {
      return false; // a pool thread cannot wait for its own pool; idle threads end by themselves
    }
    try {
      if (!executor.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
        return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
      }
      return true;
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * At most {@code limit} asynchronous calls outstanding at once. Unlike {@link Limited}, which counts
   * a task while it runs on a thread, a permit is held from the call's start until {@link #release()},
   * however long the call waits for the network without a thread. A start beyond the limit waits, in
   * arrival order, and runs on the thread that releases the next permit: starts must be short (hand
   * the call to an executor) and must handle their own failures.
   */
  static final class Permits {
    private final int limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(); // guarded by lock
    private int held; // guarded by lock
    private int releases; // guarded by lock: releases not yet handled
    private boolean draining; // guarded by lock: a thread is handing released permits over

    Permits(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
      }
      this.limit = limit;
    }

    /** Runs {@code start} now if a permit is free (it then holds it), or when one is released. */
    void acquire(Runnable start) {
      java.util.Objects.requireNonNull(start, "start");
      lock.lock();
      try {
        if (held >= limit) {
          waiting.add(start);
          return;
        }
        held++;
      } finally {
        lock.unlock();
      }
      start.run();
    }

    /**
     * Gives a permit back: the next waiting start takes it over and runs on this thread. A start
     * that gives its permit back at once (its executor refused it) does not recurse: the thread
     * already running starts takes that release over too.
     */
    void release() {
      lock.lock();
      try {
        releases++;
        if (draining) {
          return;
        }
        draining = true;
      } finally {
        lock.unlock();
      }
      while (true) {
        Runnable next;
        lock.lock();
        try {
          if (releases == 0) {
            draining = false;
            return;
          }
          releases--;
          next = waiting.poll();
          if (next == null && held > 0) {
            held--;
          }
        } finally {
          lock.unlock();
        }
        if (next != null) {
          try {
            next.run();
          } catch (RuntimeException e) {
            log.warn("starting an asynchronous call failed: {}", e.toString());
          } catch (Error e) {
            lock.lock();
            try {
              draining = false; // the next release hands the remaining permits over
            } finally {
              lock.unlock();
            }
            throw e;
          }
        }
      }
    }

    /** Permits held now (for tests and diagnostics). */
    int held() {
      lock.lock();
      try {
        return held;
      } finally {
        lock.unlock();
      }
    }

    /** Starts waiting for a permit. */
    int waiting() {
      lock.lock();
      try {
        return waiting.size();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Runs at most {@code limit} tasks at once on {@code delegate}; the others wait in arrival order.
   * A thread that finishes a task takes the next waiting one, so a waiting task never needs a second
   * hand-off (and is never lost when the delegate starts refusing work at shutdown).
   */
  static final class Limited implements Executor {
    private final Executor delegate;
    private final int limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(); // guarded by lock
    private int running; // guarded by lock

    Limited(Executor delegate, int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
      }
      this.delegate = delegate;
      this.limit = limit;
    }

    @Override
    public void execute(Runnable task) {
      java.util.Objects.requireNonNull(task, "task");
      lock.lock();
      try {
        if (running >= limit) {
          waiting.add(task);
          return;
        }
        running++;
      } finally {
        lock.unlock();
      }
      try {
        delegate.execute(() -> drain(task));
      } catch (RejectedExecutionException | Error e) {
        finished();
        throw e;
      }
    }

    private void drain(Runnable first) {
      Runnable next = first;
      while (next != null) {
        boolean returned = false;
        try {
          next.run();
          returned = true;
        } catch (RuntimeException e) {
          returned = true;
          log.warn("task on the I/O executor failed: {}", e.toString());
        } finally {
          next = finished();
          if (!returned && next != null) {
            handOff(next); // an Error leaves this thread: the waiting task goes to another one
          }
        }
      }
    }

    private void handOff(Runnable task) {
      try {
        delegate.execute(() -> drain(task));
      } catch (RejectedExecutionException e) {
        lock.lock();
        try {
          waiting.addFirst(task);
          running--;
        } finally {
          lock.unlock();
        }
      }
    }

    /** Ends one task; returns the next waiting one (still counted as running), or null. */
    private Runnable finished() {
      lock.lock();
      try {
        Runnable next = waiting.poll();
        if (next == null) {
          running--;
        }
        return next;
      } finally {
        lock.unlock();
      }
    }

    /** Tasks running now (for tests and diagnostics). */
    int running() {
      lock.lock();
      try {
        return running;
      } finally {
        lock.unlock();
      }
    }

    /** Tasks waiting for a slot. */
    int waiting() {
      lock.lock();
      try {
        return waiting.size();
      } finally {
        lock.unlock();
      }
    }
  }
}
