package io.github.rotate4j;

import io.github.rotate4j.spi.CredentialProvider;
import org.jspecify.annotations.Nullable;

/**
 * What every message about one credential names: the credential, its backend and its path. The one
 * place that builds the engine's exceptions and log prefixes, so that none of them forgets one of the
 * three.
 */
record CredentialOrigin(String name, String backend, String path, String backendId) {

  static CredentialOrigin of(String name, CredentialProvider provider) {
    return new CredentialOrigin(name, provider.backend(), provider.path(), provider.backendId());
  }

  TransientBackendException transientFailure(String reason, Throwable cause) {
    return new TransientBackendException(name, backend, path, reason, cause);
  }

  PermanentBackendException permanentFailure(String reason, @Nullable Throwable cause) {
    return new PermanentBackendException(name, backend, path, reason, cause);
  }

  CredentialUnavailableException unavailable(String reason) {
    return new CredentialUnavailableException(name, backend, path, reason, null);
  }

  CredentialExpiredException expired(String reason) {
    return new CredentialExpiredException(name, backend, path, reason);
  }

  CredentialStartupException startupFailure(String reason, @Nullable Throwable cause) {
    return new CredentialStartupException(name, backend, path, reason, cause);
  }

  /** {@code credential 'db' [vault database/creds/app]}, the prefix of every log line. */
  @Override
  public String toString() {
    return "credential '" + name + "' [" + backend + " " + path + "]";
  }

  /**
   * A failure described for status, events and logs: the reason, naming backend and path even when
   * the provider's exception did not. Never a secret: only exception messages, which providers keep
   * free of secrets.
   */
  String describe(Throwable t) {
    return "[" + backend + " " + path + "] " + reasonOf(t);
  }

  static String reasonOf(Throwable t) {
    if (t instanceof CredentialException ce) {
      return ce.reason();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
