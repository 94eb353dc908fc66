package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/** A failure worth retrying: I/O error, timeout, 5xx, throttling, an open circuit breaker. */
public final class TransientBackendException extends BackendException {

  private static final long serialVersionUID = 1L;

  public TransientBackendException(@Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    this(null, backend, path, message, cause);
  }

  public TransientBackendException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    this(credentialName, backend, path, message, cause, 0);
  }

  /** With the HTTP status the backend answered with (see {@link #httpStatus()}). */
  public TransientBackendException(
      @Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause, int httpStatus) {
    super(credentialName, backend, path, message, cause, httpStatus);
  }

  @Override
  public FailureKind kind() {
    return FailureKind.TRANSIENT;
  }
}
