package io.github.rotate4j;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task after a delay. Rotate4j schedules every refresh, retry and expiry through this
 * interface so that tests can drive time by hand ({@code io.github.rotate4j.testing.ManualTime} in
 * {@code rotate4j-test}).
 *
 * <p>Scheduled tasks must be short: Rotate4j runs provider I/O on its I/O executor, never on the
 * scheduler thread.
 */
@FunctionalInterface
public interface Scheduler {

  /** A handle to cancel a scheduled task. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not started; does nothing otherwise. */
    void cancel();
  }

  /**
   * Runs {@code task} once after {@code delay} (zero or negative: as soon as possible).
   *
   * @return a handle to cancel it
   */
  Cancellable schedule(Runnable task, Duration delay);

  /** A scheduler backed by a {@link ScheduledExecutorService}; the caller owns the executor. */
  static Scheduler of(ScheduledExecutorService executor) {
    Objects.requireNonNull(executor, "executor");
    return (task, delay) -> {
      long nanos = Math.max(0, saturatedNanos(delay));
      Future<?> f = executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    };
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException overflow) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }
}
