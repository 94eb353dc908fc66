package io.github.rotate4j.spring.boot;

import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.util.Set;

/** Source {@code in-memory} (rotate4j-test): a value held in memory, for tests and demos. */
final class InMemoryProviderFactory implements CredentialProviderFactory {

  @Override
  public Set<String> sources() {
    return Set.of("in-memory");
  }

  @Override
  public CredentialProvider create(String name, String source, Rotate4jProperties.Credential c) {
    InMemoryCredentialProvider.Builder b = InMemoryCredentialProvider.builder()
        .initialValue(CredentialSettings.required(name, "value", c.getValue(), source));
    if (c.getPath() != null) {
      b.path(c.getPath());
    }
    return b.build();
  }
}
