package io.github.rotate4j.spring.boot;

import io.github.rotate4j.vault.VaultSession;

/**
 * Adjusts the shared {@link VaultSession} after {@code rotate4j.vault.*} was applied and before the
 * environment fills what is still unset, e.g. to pass an {@code HttpClient} or a trust store.
 */
@FunctionalInterface
public interface VaultSessionBuilderCustomizer {

  void customize(VaultSession.Builder builder);
}
