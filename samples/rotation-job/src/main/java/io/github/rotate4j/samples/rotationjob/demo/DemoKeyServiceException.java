package io.github.rotate4j.samples.rotationjob.demo;

/**
 * A call to the demo key service failed. The message names the operation, the service and the
 * HTTP status ({@link #status()}, 0 when no answer came); it never contains a secret.
 */
public final class DemoKeyServiceException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;

  DemoKeyServiceException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status of the answer, or 0 when there was none (I/O failure, timeout). */
  public int status() {
    return status;
  }

  /** Whether trying again later may succeed: no answer, 429 or a 5xx. */
  public boolean isTransient() {
    return status == 0 || status == 429 || status >= 500;
  }
}
