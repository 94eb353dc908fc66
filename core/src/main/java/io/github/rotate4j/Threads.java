package io.github.rotate4j;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon thread pools with recognisable names: rotate4j-scheduler-N, rotate4j-io-N, rotate4j-events-N. */
final class Threads {

  private static final AtomicInteger POOL = new AtomicInteger();
  private static final ThreadLocal<Boolean> OWN = ThreadLocal.withInitial(() -> Boolean.FALSE);

  static final int EVENT_THREADS = 4;

  private Threads() {}

  static ThreadFactory named(String role) {
    int pool = POOL.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Runnable marked = () -> {
        OWN.set(Boolean.TRUE);
        r.run();
      };
      Thread t = new Thread(marked, "rotate4j-" + role + "-" + pool + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static ScheduledThreadPoolExecutor scheduler() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, named("scheduler"));
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return s;
  }

  /** Unbounded, idle threads end after 30 s: provider calls may block. */
  static ExecutorService io() {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), named("io"));
  }

  /**
   * Up to {@value #EVENT_THREADS} threads, so that one slow listener does not hold up the others;
   * each listener still sees its events in order (it has its own serial queue); idle threads end
   * after 30 s.
   */
  static ExecutorService events() {
    ThreadPoolExecutor e = new ThreadPoolExecutor(EVENT_THREADS, EVENT_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), named("events"));
    e.allowCoreThreadTimeOut(true);
    return e;
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
}
