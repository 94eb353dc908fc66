package io.github.rotate4j;

/** No credential is available: not started yet, started lazily and not fetched yet, or closed. */
public final class CredentialUnavailableException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialUnavailableException(String credentialName, String backend, String path, String message, Throwable cause) {
    super(credentialName, backend, path, message, cause);
  }
}
