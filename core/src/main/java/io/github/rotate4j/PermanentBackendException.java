package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/** A failure that retrying will not fix: permission denied, not found, bad configuration, malformed response. */
public final class PermanentBackendException extends BackendException {

  private static final long serialVersionUID = 1L;

  public PermanentBackendException(@Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    this(null, backend, path, message, cause);
  }

  public PermanentBackendException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    this(credentialName, backend, path, message, cause, 0);
  }

  /** With the HTTP status the backend answered with (see {@link #httpStatus()}). */
  public PermanentBackendException(
      @Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause, int httpStatus) {
    super(credentialName, backend, path, message, cause, httpStatus);
  }

  @Override
  public FailureKind kind() {
    return FailureKind.PERMANENT;
  }
}
