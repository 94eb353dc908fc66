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

  @org.junit.jupiter.api.Test
  void aLeaseGoneAtRenewal_isReplacedAtOnce_evenWithASingleAttemptAllowed() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(30), Duration.ofHours(24), true).build();
    try (RotatingCredential c = f.builder(backend)
        .retryConfig(io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(1).build()).build()) {
      c.start();
      String lease = c.get().version();
      backend.expireLeases(); // e.g. the backend restarted: renewals fail permanently
      f.time.advanceTo(c.status().nextRefresh().orElseThrow());
      assertThat(backend.renewCount()).isEqualTo(1);
      assertThat(backend.fetchCount()).as("the failed renewal switched to a fetch at once").isEqualTo(2);
      assertThat(c.get().version()).isNotEqualTo(lease);
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @org.junit.jupiter.api.Test
  void afterASuspend_getStopsServingALeaseThatExpired_withinThirtySeconds() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    Duration[] jump = {Duration.ZERO};
    // the wall clock jumps ahead of the scheduler, as after a machine resumes from suspend
    java.time.Clock wall = new java.time.Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return f.time.now().plus(jump[0]);
      }
    };
    try (RotatingCredential c = RotatingCredential.builder("db", backend).clock(wall).scheduler(f.time.scheduler())
        .ioExecutor(Runnable::run).eventExecutor(Runnable::run).revokeOnClose(false).build()) {
      c.start();
      java.time.Instant end = c.get().expiresAt().orElseThrow();
      backend.failAlways(FailureKind.TRANSIENT);
      jump[0] = Duration.ofMinutes(20);
      f.advance(LifecycleTimers.EXPIRY_RECHECK);
      assertThat(wall.instant()).isAfter(end);
      org.assertj.core.api.Assertions.assertThatThrownBy(c::get).isInstanceOf(CredentialExpiredException.class);
    }
  }
}
