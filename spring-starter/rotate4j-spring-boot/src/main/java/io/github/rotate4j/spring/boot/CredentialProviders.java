package io.github.rotate4j.spring.boot;

import io.github.rotate4j.spi.CredentialProvider;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers of the credentials configured under {@code rotate4j.credentials}, by name, in the
 * order they were configured. Metrics take each credential's {@code backend} tag from here.
 *
 * <p>Immutable. Closing closes the providers (each credential also closes its own; closing twice
 * is harmless), so nothing leaks when start-up fails half-way.
 */
public final class CredentialProviders implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CredentialProviders.class);

  private final Map<String, CredentialProvider> providers;

  /** @param providers the providers by credential name, in registration order */
  public CredentialProviders(Map<String, CredentialProvider> providers) {
    this.providers = Collections.unmodifiableMap(new LinkedHashMap<>(providers));
  }

  /** The providers by credential name. */
  public Map<String, CredentialProvider> asMap() {
    return providers;
  }

  /** The backend id of credential {@code name} (e.g. {@code vault@https://host:8200}), if it was configured here. */
  public Optional<String> backendId(String name) {
    return Optional.ofNullable(providers.get(name)).map(CredentialProvider::backendId);
  }

  @Override
  public void close() {
    providers.forEach((name, p) -> {
      try {
        p.close();
      } catch (Exception e) {
        log.warn("Closing the provider of credential '{}' ({} {}) failed: {}", name, p.backend(), p.path(), e.toString());
      }
    });
  }

  @Override
  public String toString() {
    return "CredentialProviders" + providers.keySet();
  }
}
