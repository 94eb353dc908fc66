package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/**
 * A backend failed to serve a credential. Providers throw {@link TransientBackendException} or
 * {@link PermanentBackendException}; the refresh engine retries the first kind and not the second.
 */
public abstract sealed class BackendException extends CredentialException
    permits TransientBackendException, PermanentBackendException {

  private static final long serialVersionUID = 1L;

  private final int httpStatus;

  BackendException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause, int httpStatus) {
    super(credentialName, backend, path, message, cause);
    this.httpStatus = httpStatus;
  }

  /** The HTTP status the backend answered with, for HTTP backends that answered at all. */
  public java.util.OptionalInt httpStatus() {
    return httpStatus > 0 ? java.util.OptionalInt.of(httpStatus) : java.util.OptionalInt.empty();
  }

  /** Whether the failure is worth retrying. */
  public abstract FailureKind kind();

  /**
   * Classifies any failure of a provider: backend exceptions keep their kind; I/O errors and
   * timeouts are transient; everything else (a bug, a bad configuration) is permanent.
   */
  public static FailureKind classify(Throwable t) {
    Throwable cur = t;
    for (int depth = 0; cur != null && depth < 10; depth++, cur = cur.getCause()) {
      if (cur instanceof BackendException be) {
        return be.kind();
      }
      if (cur instanceof java.io.IOException
          || cur instanceof java.io.UncheckedIOException
          || cur instanceof java.util.concurrent.TimeoutException) {
        return FailureKind.TRANSIENT;
      }
    }
    return FailureKind.PERMANENT;
  }
}
