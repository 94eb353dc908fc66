package io.github.rotate4j.spring.boot;

import io.github.rotate4j.CredentialRegistry;

/**
 * Adjusts the registry's shared clock, scheduler and executors before the credentials are
 * registered (e.g. a manual clock in tests). Customizers run in {@code @Order}. The clock set here
 * is also the one of the auto-configured metrics, of the {@code aws} providers and their change
 * watch, and of {@code in-memory} values ({@link CredentialRegistry#clock()}).
 */
@FunctionalInterface
public interface CredentialRegistryCustomizer {

  void customize(CredentialRegistry.Builder builder);
}
