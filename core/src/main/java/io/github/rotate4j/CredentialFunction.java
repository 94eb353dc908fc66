package io.github.rotate4j;

/**
 * Application code that uses a credential, run by {@link RotatingCredential#call}. Throw
 * {@link CredentialRejectedException} (or an exception the configured rejection classifier
 * recognises) when the downstream service refused the key.
 */
@FunctionalInterface
public interface CredentialFunction<T> {
  T apply(Credential credential) throws Exception;
}
