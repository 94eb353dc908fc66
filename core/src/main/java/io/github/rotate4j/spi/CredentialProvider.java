package io.github.rotate4j.spi;

import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;

/**
 * Reads a secret from a backend. Implement this to add a backend; Rotate4j ships file, in-memory,
 * Vault/OpenBao and AWS Secrets Manager providers. A backend client that completes its calls
 * asynchronously implements {@link AsyncCredentialProvider} instead, so that no thread waits on the
 * network.
 *
 * <p>Contract for implementations:
 *
 * <ul>
 *   <li>Methods are called from Rotate4j's I/O executor, one call at a time per credential, never
 *       from the hot path. They may block, but must bound every network call with a timeout.
 *   <li>Failures are thrown as {@link TransientBackendException} (I/O, timeout, 5xx, throttling) or
 *       {@link PermanentBackendException} (403, 404, bad configuration, malformed response), with a
 *       message that names the backend path and never contains a secret value.
 *   <li>Provider objects must be thread-safe.
 * </ul>
 */
public interface CredentialProvider extends AutoCloseable {

  /** The backend kind, for messages and metrics: {@code vault}, {@code aws-secretsmanager}, {@code file}, … */
  String backend();

  /** The path, secret id or file this provider reads, for messages. */
  String path();

  /**
   * Identifies the backend instance, for sharing one circuit breaker between every credential that
   * reads from it (e.g. {@code vault@https://vault:8200}). Defaults to {@link #backend()}.
   */
  default String backendId() {
    return backend();
  }

  /**
   * Reads the secret as the backend holds it now.
   *
   * @throws TransientBackendException for a failure worth retrying
   * @throws PermanentBackendException for a failure that retrying will not fix
   */
  FetchResult fetch(FetchContext context);

  /**
   * Renews a renewable lease and returns the credential with its new expiry. Called only for
   * credentials whose {@link Credential#renewable()} is true.
   *
   * @throws UnsupportedOperationException if this provider has no leases
   */
  default Credential renew(Credential lease, FetchContext context) {
    throw new UnsupportedOperationException(backend() + " provider does not renew leases");
  }

  /**
   * Revokes a lease this process obtained, on close. Errors are reported by throwing; the engine logs
   * them and goes on.
   */
  default void revoke(Credential lease) {}

  /** Releases clients this provider created. Clients passed in by the user are left open. */
  @Override
  default void close() {}
}
