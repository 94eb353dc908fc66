package io.github.rotate4j.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Named points inside a test double where a test can crash the "process" or make the call fail.
 * {@link InMemorySecretStore} and {@link InMemoryKeyIssuer} pass two points per call:
 * {@code <kind>.<operation>.before} (nothing done yet) and {@code <kind>.<operation>.after} (the
 * effect applied, the caller not told: a crash in the middle of the call).
 *
 * <pre>{@code
 * store.faults().crashOnce("store.promote.after");
 * assertThrows(SimulatedCrash.class, rotator::rotate);
 * rotator.resume();   // a new run finishes the rotation
 * }</pre>
 *
 * <p>Thread-safe. Planned actions run outside the internal lock.
 */
public final class FaultPoints {

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Supplier<? extends Throwable>> once = new HashMap<>();
  private final Map<String, Supplier<? extends RuntimeException>> always = new HashMap<>();
  private final List<String> reached = new ArrayList<>();
  private final Map<String, Integer> crashCountdown = new HashMap<>();
  private final Map<String, Runnable> actions = new HashMap<>();

  /** The next time {@code point} is reached, throws {@link SimulatedCrash}. */
  public FaultPoints crashOnce(String point) {
    return put(point, () -> new SimulatedCrash(point));
  }

  /**
   * Throws {@link SimulatedCrash} the {@code occurrence}-th time (1 = the next time) {@code point}
   * is reached from now on.
   */
  public FaultPoints crashOn(String point, int occurrence) {
    Objects.requireNonNull(point, "point");
    if (occurrence < 1) {
      throw new IllegalArgumentException("occurrence must be at least 1, but was " + occurrence);
    }
    lock.lock();
    try {
      crashCountdown.put(point, occurrence);
    } finally {
      lock.unlock();
    }
    return this;
  }

  /**
   * The next time {@code point} is reached, runs {@code action} there (on the calling thread, before
   * the call goes on): to let another actor in at an exact moment, such as a second rotator.
   */
  public FaultPoints runOnce(String point, Runnable action) {
    Objects.requireNonNull(point, "point");
    Objects.requireNonNull(action, "action");
    lock.lock();
    try {
      actions.put(point, action);
    } finally {
      lock.unlock();
    }
    return this;
  }

  /** The next time {@code point} is reached, throws the exception {@code failure} makes. */
  public FaultPoints failOnce(String point, Supplier<? extends RuntimeException> failure) {
    return put(point, failure);
  }

  /** Every time {@code point} is reached, until {@link #clear()}, throws what {@code failure} makes. */
  public FaultPoints failAlways(String point, Supplier<? extends RuntimeException> failure) {
    Objects.requireNonNull(point, "point");
    Objects.requireNonNull(failure, "failure");
    lock.lock();
    try {
      always.put(point, failure);
    } finally {
      lock.unlock();
    }
    return this;
  }

  private FaultPoints put(String point, Supplier<? extends Throwable> failure) {
    Objects.requireNonNull(point, "point");
    Objects.requireNonNull(failure, "failure");
    lock.lock();
    try {
      once.put(point, failure);
    } finally {
      lock.unlock();
    }
    return this;
  }

  /** Removes every planned fault; keeps the history. */
  public void clear() {
    lock.lock();
    try {
      once.clear();
      always.clear();
      crashCountdown.clear();
      actions.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Every point reached so far, in order. */
  public List<String> reached() {
    lock.lock();
    try {
      return List.copyOf(reached);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Called by the double at {@code point}: records it and throws the planned fault, if any.
   *
   * @throws SimulatedCrash or the planned exception
   */
  public void at(String point) {
    Throwable t;
    Runnable action;
    lock.lock();
    try {
      reached.add(point);
      action = actions.remove(point);
      Supplier<? extends Throwable> f = once.remove(point);
      if (f == null) {
        f = always.get(point);
      }
      Integer countdown = crashCountdown.get(point);
      if (countdown != null) {
        if (countdown == 1) {
          crashCountdown.remove(point);
          f = () -> new SimulatedCrash(point);
        } else {
          crashCountdown.put(point, countdown - 1);
        }
      }
      t = f == null ? null : f.get();
    } finally {
      lock.unlock();
    }
    if (action != null) {
      action.run();
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException("fault at " + point, t);
    }
  }
}
