package io.github.rotate4j;

/**
 * Thrown by application code run through {@link RotatingCredential#call} to say that the downstream
 * service rejected the key it was given (HTTP 401, a failed database login). Rotate4j then refreshes
 * and tries the other valid keys.
 */
public class CredentialRejectedException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialRejectedException(String message) {
    super(null, null, null, message, null);
  }

  public CredentialRejectedException(String message, Throwable cause) {
    super(null, null, null, message, cause);
  }
}
