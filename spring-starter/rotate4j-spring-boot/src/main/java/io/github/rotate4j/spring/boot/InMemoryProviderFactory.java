package io.github.rotate4j.spring.boot;

import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Clock;
import java.util.Set;

/** Source {@code in-memory} (rotate4j-test): a value held in memory, for tests and demos. */
final class InMemoryProviderFactory implements CredentialProviderFactory {

  private final Clock clock;

  /** {@code clock}: the registry's, for the issue times of the values it hands out. */
  InMemoryProviderFactory(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Set<String> sources() {
    return Set.of("in-memory");
  }

  @Override
  public CredentialProvider create(String name, String source, Rotate4jProperties.Credential c) {
    InMemoryCredentialProvider.Builder b = InMemoryCredentialProvider.builder().clock(clock)
        .initialValue(CredentialSettings.required(name, "value", c.getValue(), source));
    if (c.getPath() != null) {
      b.path(c.getPath());
    }
    return b.build();
  }
}
