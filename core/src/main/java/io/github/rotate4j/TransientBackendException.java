package io.github.rotate4j;

/** A failure worth retrying: I/O error, timeout, 5xx, throttling, an open circuit breaker. */
public final class TransientBackendException extends BackendException {

  private static final long serialVersionUID = 1L;

  public TransientBackendException(String backend, String path, String message, Throwable cause) {
    this(null, backend, path, message, cause);
  }

  public TransientBackendException(String credentialName, String backend, String path, String message, Throwable cause) {
    this(credentialName, backend, path, message, cause, 0);
  }

  /** With the HTTP status the backend answered with (see {@link #httpStatus()}). */
  public TransientBackendException(
      String credentialName, String backend, String path, String message, Throwable cause, int httpStatus) {
    super(credentialName, backend, path, message, cause, httpStatus);
  }

  @Override
  public FailureKind kind() {
    return FailureKind.TRANSIENT;
  }
}
