package io.github.rotate4j;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the scheduler a user plugged in so that its failures never stop refreshing for good. A task
 * the scheduler refuses (it throws, e.g. after it was shut down) is logged once and handed to a
 * fallback timer: one daemon thread ({@code rotate4j-fallback-scheduler}), created on first need and
 * ended after a minute without work. A task that throws is logged, never propagated into the
 * scheduler's thread.
 *
 * <p>One per credential, so it is kept small: the owner's name is built only when a line is logged.
 */
final class GuardedScheduler implements Scheduler {

  private static final Logger log = LoggerFactory.getLogger(RotatingCredential.class);
  private static final Object FALLBACK_LOCK = new Object();
  private static @Nullable ScheduledThreadPoolExecutor fallback; // guarded by FALLBACK_LOCK

  private static final AtomicIntegerFieldUpdater<GuardedScheduler> WARNED =
      AtomicIntegerFieldUpdater.newUpdater(GuardedScheduler.class, "warned");

  private final Scheduler delegate;
  private final Object owner; // its toString() names the owner in log lines
  private volatile int warned; // 1 once the fallback was announced
  private volatile boolean stopped;

  GuardedScheduler(Scheduler delegate, Object owner) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.owner = Objects.requireNonNull(owner, "owner");
  }

  /** After this, refused tasks are dropped instead of handed to the fallback (the owner closed). */
  void stop() {
    stopped = true;
  }

  /**
   * A task that guards itself, so that scheduling it takes one object rather than a task and a
   * wrapper around it: the engine's timers, of which a registry holds thousands.
   */
  abstract static class SelfGuarded implements Runnable {
    /** The scheduler it is scheduled on, whose owner a failure's log line names. */
    abstract GuardedScheduler scheduler();

    abstract void runGuarded();

    @Override
    public final void run() {
      try {
        runGuarded();
      } catch (RuntimeException | Error e) {
        scheduler().failed(e);
      }
    }
  }

  private void failed(Throwable e) {
    log.error("{}: a scheduled task failed: {}", owner, e.toString(), e);
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    Runnable guarded = task instanceof SelfGuarded ? task : () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        failed(e);
      }
    };
    try {
      Cancellable c = delegate.schedule(guarded, delay);
      return c == null ? () -> {} : c;
    } catch (RuntimeException e) {
      if (stopped) {
        return () -> {};
      }
      if (WARNED.compareAndSet(this, 0, 1)) {
        log.warn("{}: the scheduler refused a task ({}); using Rotate4j's fallback timer from now on when it does",
            owner, e.toString());
      }
      return fallback(guarded, delay);
    }
  }

  private static Cancellable fallback(Runnable task, Duration delay) {
    ScheduledThreadPoolExecutor timer;
    synchronized (FALLBACK_LOCK) {
      if (fallback == null || fallback.isShutdown()) {
        fallback = new ScheduledThreadPoolExecutor(1, Threads.named("fallback-scheduler"));
        fallback.setRemoveOnCancelPolicy(true);
        fallback.setKeepAliveTime(1, TimeUnit.MINUTES);
        fallback.allowCoreThreadTimeOut(true);
      }
      timer = fallback;
    }
    return Scheduler.of(timer).schedule(task, delay);
  }
}
