package io.github.rotate4j;

import org.jspecify.annotations.Nullable;

/**
 * The credential's hard expiry has passed and no fresh one could be fetched: Rotate4j never returns
 * a credential it knows to be expired.
 */
public final class CredentialExpiredException extends CredentialException {

  private static final long serialVersionUID = 1L;

  public CredentialExpiredException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message) {
    super(credentialName, backend, path, message, null);
  }
}
