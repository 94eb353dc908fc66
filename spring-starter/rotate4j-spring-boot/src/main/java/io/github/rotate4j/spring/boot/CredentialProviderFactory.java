package io.github.rotate4j.spring.boot;

import io.github.rotate4j.spi.CredentialProvider;
import java.util.Set;

/**
 * Creates the provider of a credential configured under {@code rotate4j.credentials.<name>} for the
 * {@code source} values it serves. The starter registers one for each built-in source whose library
 * is on the class path; declare a bean of this type to add a source of your own.
 *
 * <p>Implementations validate the settings they read and throw an exception naming the property
 * (e.g. {@code rotate4j.credentials.orders-db.path}) and the allowed values. Called once per
 * credential during start-up, from one thread.
 */
public interface CredentialProviderFactory {

  /** The {@code source} values this factory serves, e.g. {@code vault-kv}. */
  Set<String> sources();

  /**
   * Creates the provider of credential {@code name}.
   *
   * @param name the credential's name (the key under {@code rotate4j.credentials})
   * @param source one of {@link #sources()}
   * @param settings the credential's settings
   * @throws RuntimeException naming the property when a setting is missing or invalid
   */
  CredentialProvider create(String name, String source, Rotate4jProperties.Credential settings);
}
