package io.github.rotate4j;

/** A failure that retrying will not fix: permission denied, not found, bad configuration, malformed response. */
public final class PermanentBackendException extends BackendException {

  private static final long serialVersionUID = 1L;

  public PermanentBackendException(String backend, String path, String message, Throwable cause) {
    this(null, backend, path, message, cause);
  }

  public PermanentBackendException(String credentialName, String backend, String path, String message, Throwable cause) {
    this(credentialName, backend, path, message, cause, 0);
  }

  /** With the HTTP status the backend answered with (see {@link #httpStatus()}). */
  public PermanentBackendException(
      String credentialName, String backend, String path, String message, Throwable cause, int httpStatus) {
    super(credentialName, backend, path, message, cause, httpStatus);
  }

  @Override
  public FailureKind kind() {
    return FailureKind.PERMANENT;
  }
}
