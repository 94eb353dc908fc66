package io.github.rotate4j.testing;

import io.github.rotate4j.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Time that moves only when a test says so: a {@link Clock} and a {@link Scheduler} on one manual
 * timeline. {@link #advance(Duration)} moves the clock forward and runs every task that falls due,
 * in order of due time, on the calling thread, with the clock set to each task's due time while it
 * runs. Tasks scheduled while advancing run in the same call if they fall due before its end.
 *
 * <pre>{@code
 * ManualTime time = ManualTime.create();
 * RotatingCredential c = RotatingCredential.builder("api", provider)
 *     .clock(time.clock()).scheduler(time.scheduler())
 *     .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
 *     .build().start();
 * time.advance(Duration.ofMinutes(5));   // the poll runs now, no sleeping
 * }</pre>
 *
 * <p>Thread-safe; tasks run on the thread that calls {@code advance}.
 */
public final class ManualTime {

  /** The instant a {@link #create()} timeline starts at. */
  public static final Instant DEFAULT_START = Instant.parse("2030-01-01T00:00:00Z");

  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private volatile Instant now;
  private long sequence;

  private ManualTime(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  /** A timeline starting at {@link #DEFAULT_START}. */
  public static ManualTime create() {
    return new ManualTime(DEFAULT_START);
  }

  /** A timeline starting at {@code start}. */
  public static ManualTime startingAt(Instant start) {
    return new ManualTime(start);
  }

  /** An executor that runs each task at once on the calling thread: deterministic tests. */
  public static Executor directExecutor() {
    return Runnable::run;
  }

  /** The current manual instant. */
  public Instant now() {
    return now;
  }

  /** A clock reading this timeline (UTC). */
  public Clock clock() {
    return new ManualClock(ZoneOffset.UTC);
  }

  /** A scheduler on this timeline. */
  public Scheduler scheduler() {
    return this::schedule;
  }

  private Scheduler.Cancellable schedule(Runnable task, Duration delay) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(delay, "delay");
    lock.lock();
    try {
      Instant due = delay.isNegative() ? now : now.plus(delay);
      Task t = new Task(due, sequence++, task);
      queue.add(t);
      return () -> {
        lock.lock();
        try {
          queue.remove(t);
        } finally {
          lock.unlock();
        }
      };
    } finally {
      lock.unlock();
    }
  }

  /** Moves time forward by {@code amount}, running every task that falls due on the way. */
  public void advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    if (amount.isNegative()) {
      throw new IllegalArgumentException("time only moves forward, but amount was " + amount);
    }
    Instant target = now.plus(amount);
    while (true) {
      Task next;
      lock.lock();
      try {
        next = queue.peek();
        if (next == null || next.due.isAfter(target)) {
          if (target.isAfter(now)) {
            now = target; // a task that advanced time itself may have gone further: never move back
          }
          return;
        }
        queue.poll();
        if (next.due.isAfter(now)) {
          now = next.due;
        }
      } finally {
        lock.unlock();
      }
      next.task.run();
    }
  }

  /** Moves time to {@code instant} (not before now), running due tasks. */
  public void advanceTo(Instant instant) {
    Duration d = Duration.between(now, instant);
    advance(d.isNegative() ? Duration.ZERO : d);
  }

  /** Runs the tasks due now without moving time. */
  public void runDueTasks() {
    advance(Duration.ZERO);
  }

  /** When the earliest pending task is due, if any. */
  public Optional<Instant> nextTaskTime() {
    lock.lock();
    try {
      Task t = queue.peek();
      return t == null ? Optional.empty() : Optional.of(t.due);
    } finally {
      lock.unlock();
    }
  }

  /** Due times of every pending task, earliest first. */
  public List<Instant> pendingTaskTimes() {
    lock.lock();
    try {
      List<Task> copy = new ArrayList<>(queue);
      copy.sort(null);
      return copy.stream().map(t -> t.due).toList();
    } finally {
      lock.unlock();
    }
  }

  private static final class Task implements Comparable<Task> {
    final Instant due;
    final long seq;
    final Runnable task;

    Task(Instant due, long seq, Runnable task) {
      this.due = due;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Task o) {
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final class ManualClock extends Clock {
    private final ZoneId zone;

    ManualClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new ManualClock(zone);
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
