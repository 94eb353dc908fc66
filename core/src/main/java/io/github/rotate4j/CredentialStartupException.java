package io.github.rotate4j;

/** The first fetch failed (or timed out) while a credential was starting. The cause says why. */
public final class CredentialStartupException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialStartupException(String credentialName, String backend, String path, String message, Throwable cause) {
    super(credentialName, backend, path, message, cause);
  }
}
