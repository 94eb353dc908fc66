package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/** No credential is available: not started yet, started lazily and not fetched yet, or closed. */
public final class CredentialUnavailableException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialUnavailableException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    super(credentialName, backend, path, message, cause);
  }
}
