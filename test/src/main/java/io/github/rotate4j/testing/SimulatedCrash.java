package io.github.rotate4j.testing;

/**
 * Thrown by a {@link FaultPoints} crash: stands for the process dying at that point. It is an
 * {@link Error} so that the code under test does not handle it as an ordinary failure; a test
 * catches it, then starts a "new process" (a new run) against the same stores.
 */
public final class SimulatedCrash extends Error {

  private static final long serialVersionUID = 1L;

  private final String point;

  /** A crash at {@code point}. */
  public SimulatedCrash(String point) {
    super("simulated crash at " + point, null, false, false);
    this.point = point;
  }

  /** Where the crash happened, e.g. {@code store.promote.after}. */
  public String point() {
    return point;
  }
}
