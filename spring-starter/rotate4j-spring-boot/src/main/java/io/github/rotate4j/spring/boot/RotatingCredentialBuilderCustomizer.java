package io.github.rotate4j.spring.boot;

import io.github.rotate4j.RotatingCredentialBuilder;

/**
 * Adjusts what the properties cannot say (listeners, a rejection classifier, a custom circuit
 * breaker) for each credential the starter creates. Customizers run in {@code @Order} after the
 * properties were applied; each builder setting may be set once, so a customizer sets only what the
 * properties left unset.
 */
@FunctionalInterface
public interface RotatingCredentialBuilderCustomizer {

  /**
   * @param name the credential's name
   * @param builder its builder, properties already applied
   */
  void customize(String name, RotatingCredentialBuilder builder);
}
