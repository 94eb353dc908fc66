package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RegistryTest {

  private final ManualTime time = ManualTime.create();

  private InMemoryCredentialProvider backend(String path, String value) {
    return InMemoryCredentialProvider.builder().clock(time.clock()).path(path).initialValue(value).build();
  }

  @Test
  void registry_startsAllCredentialsAndLooksThemUpByName() {
    InMemoryCredentialProvider db = backend("db", "pw-1");
    InMemoryCredentialProvider api = backend("api", "key-1");
    try (CredentialRegistry registry = CredentialRegistry.builder()
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .register("db", db, b -> b.refreshPolicy(RefreshPolicy.custom().jitter(0).build()))
        .register("api", api, b -> b.refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofMinutes(1)).jitter(0).build()))
        .build()) {
      registry.start();
      assertThat(registry.names()).containsExactly("db", "api");
      assertThat(registry.get("db").get().secretString()).isEqualTo("pw-1");
      assertThat(registry.get("api").get().secretString()).isEqualTo("key-1");
      api.rotate("key-2");
      time.advance(Duration.ofMinutes(1));
      assertThat(registry.get("api").get().secretString()).isEqualTo("key-2");
      assertThat(db.fetchCount()).as("each keeps its own policy").isEqualTo(1);
      assertThat(registry.statuses()).containsOnlyKeys("db", "api");
      assertThat(registry.find("nope")).isEmpty();
      assertThatThrownBy(() -> registry.get("nope")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("nope").hasMessageContaining("db").hasMessageContaining("api");
    }
    assertThatThrownBy(() -> CredentialRegistry.builder().register("x", db).register("x", api))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
  }

  @Test
  void registry_sharesOneCircuitBreakerPerBackend() {
    InMemoryCredentialProvider a = backend("a", "1");
    InMemoryCredentialProvider b = backend("b", "2");
    try (CredentialRegistry registry = CredentialRegistry.builder()
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .register("a", a, x -> x.retryConfig(io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(1).build()))
        .register("b", b)
        .build()) {
      registry.start();
      a.failAlways(FailureKind.TRANSIENT);
      for (int i = 0; i < 6; i++) {
        registry.get("a").refreshNow().exceptionally(e -> null).join();
        time.advance(RefreshPolicy.DEFAULT_REJECTION_RATE_LIMIT); // forced refreshes are rate-limited
      }
      assertThat(registry.get("b").status().circuitState())
          .as("b reads from the same backend kind, so it sees a's open breaker")
          .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
    }
  }

  @Test
  void registry_startFailure_namesTheCredential_andClosesEverything() {
    InMemoryCredentialProvider bad = backend("bad/path", "x");
    bad.failAlways(FailureKind.PERMANENT);
    try (CredentialRegistry registry = CredentialRegistry.builder()
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .register("good", backend("good", "y"))
        .register("bad", bad)
        .build()) {
      assertThatThrownBy(registry::start).isInstanceOf(CredentialStartupException.class)
          .hasMessageContaining("'bad'").hasMessageContaining("bad/path");
      assertThatThrownBy(() -> registry.get("good").get()).as("the registry closed itself")
          .isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("closed");
    }
  }

  @Test
  void registryCredential_cannotOverrideSharedThreads() {
    assertThatThrownBy(() -> CredentialRegistry.builder()
        .register("x", backend("x", "1"), b -> b.clock(time.clock())).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("registry");
  }
}
