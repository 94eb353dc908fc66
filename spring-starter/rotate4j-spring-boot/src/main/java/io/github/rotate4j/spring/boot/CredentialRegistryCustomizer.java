package io.github.rotate4j.spring.boot;

import io.github.rotate4j.CredentialRegistry;

/**
 * Adjusts the registry's shared clock, scheduler and executors before the credentials are
 * registered (e.g. a manual clock in tests). Customizers run in {@code @Order}.
 */
@FunctionalInterface
public interface CredentialRegistryCustomizer {

  void customize(CredentialRegistry.Builder builder);
}
