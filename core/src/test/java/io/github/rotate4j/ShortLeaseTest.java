package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.event.CredentialExpired;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Short leases keep their retries: attempt timeout, backoff and refresh point scale to the lease. */
class ShortLeaseTest {

  private final Fixture f = new Fixture();

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void thirtySecondLease_failingOnce_isRetriedAndNeverExpires(boolean renewable) {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(30), Duration.ofMinutes(10), renewable).build();
    // a lenient breaker: this test is about retries, not about a backend failing most calls
    try (RotatingCredential c = f.builder(backend).circuitBreakerConfig(
        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.from(RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG)
            .failureRateThreshold(90).build()).build()) {
      c.start();
      for (int i = 0; i < 20; i++) {
        f.time.advanceTo(c.status().nextRefresh().orElseThrow().minusMillis(1));
        backend.failNext(2, FailureKind.TRANSIENT);
        f.advance(Duration.ofSeconds(15));
        c.get(); // never throws: retries fit before the lease ends
      }
      assertThat(f.events(RefreshFailed.class)).hasSizeGreaterThanOrEqualTo(20);
      assertThat(f.events(CredentialExpired.class)).isEmpty();
      assertThat(f.events(RefreshFailed.class))
          .allSatisfy(e -> assertThat(e.message()).doesNotContain("10.00 s"));
    }
  }
}
