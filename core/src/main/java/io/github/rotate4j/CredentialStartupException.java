package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/** The first fetch failed (or timed out) while a credential was starting. The cause says why. */
public final class CredentialStartupException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialStartupException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    super(credentialName, backend, path, message, cause);
  }
}
