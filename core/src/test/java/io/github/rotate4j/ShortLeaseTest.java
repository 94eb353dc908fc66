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
  /** The default retry backoff draws its jitter from Math.random(): a fleet test takes a fixed one. */
  private static final io.github.resilience4j.retry.RetryConfig DETERMINISTIC_RETRY =
      io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(4)
          .intervalFunction(io.github.resilience4j.core.IntervalFunction.ofExponentialBackoff(1000, 2)).build();

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

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void renewableLease_renewsAtItsRatio_andIsReplacedOnItsOwnPhaseOnceTheMaxTtlIsKnown(long seed) {
    // TTL 60 s, max TTL 10 min: the first lease learns the max lifetime when a renewal comes back short
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(60), Duration.ofMinutes(10), true).announceMaxTtl(false).build();
    try (RotatingCredential c = RotatingCredential.builder("api-key", backend).clock(f.time.clock())
        .scheduler(f.time.scheduler()).ioExecutor(io.github.rotate4j.testing.ManualTime.directExecutor())
        .eventExecutor(io.github.rotate4j.testing.ManualTime.directExecutor()).random(new java.util.Random(seed))
        .listener(io.github.rotate4j.event.CredentialListener.forEvery(f.events::add)).build()) {
      c.start();
      f.advance(Duration.ofMinutes(40));
      java.util.List<java.time.Instant> replaced = f.events(io.github.rotate4j.event.CredentialRotated.class).stream()
          .map(io.github.rotate4j.event.CredentialRotated::time).toList();
      java.time.Instant start = f.events(io.github.rotate4j.event.CredentialCreated.class).get(0).time();
      assertThat(replaced).hasSizeGreaterThanOrEqualTo(4);
      // the first lease lives to its max TTL (it learns it); the second is replaced at a point drawn
      // over its life; the third and later ones live to about their max TTL again (the phase is kept)
      assertThat(Duration.between(start, replaced.get(0))).isBetween(Duration.ofMinutes(8), Duration.ofMinutes(10));
      assertThat(Duration.between(replaced.get(0), replaced.get(1))).isLessThanOrEqualTo(Duration.ofSeconds(570));
      for (int i = 2; i < replaced.size(); i++) {
        assertThat(Duration.between(replaced.get(i - 1), replaced.get(i)))
            .as("lease %d lives to about its max TTL", i + 1).isBetween(Duration.ofMinutes(8), Duration.ofMinutes(10));
      }
      // renewals stay at about 2/3 of the TTL (±10%), not pulled forward each time: at most one per 36 s
      // of renewable life, plus the few pulled forward to leave room before a known max end
      int fetches = backend.fetchCount();
      assertThat(backend.renewCount()).as("renewals in 40 min").isLessThanOrEqualTo(40 * 60 / 36 + 2 * fetches);
      assertThat(backend.renewCount()).isGreaterThanOrEqualTo(40 * 60 / 44 - 2 * fetches);
    }
  }

  @org.junit.jupiter.api.Test
  void renewableLeases_startedTogether_spreadTheirReplacementsOnceTheMaxTtlIsKnown() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(60), Duration.ofMinutes(10), true).announceMaxTtl(false).build();
    java.util.List<RotatingCredential> fleet = new java.util.ArrayList<>();
    try {
      startFleet(backend, fleet);
      f.advance(Duration.ofMinutes(11));
      java.util.List<String> afterFirst = fleet.stream().map(c -> c.get().version()).toList();
      f.advance(Duration.ofMinutes(11));
      // between 11 and 22 min, the second leases are replaced at points drawn over their life
      java.util.List<java.time.Instant> ends = fleet.stream().map(c -> c.get().issuedAt()).sorted().toList();
      assertThat(fleet.stream().map(c -> c.get().version()).toList()).doesNotContainAnyElementsOf(afterFirst);
      assertThat(Duration.between(ends.get(0), ends.get(ends.size() - 1)))
          .as("the current leases were issued over a wide span (the drawn phases)").isGreaterThan(Duration.ofMinutes(4));
    } finally {
      fleet.forEach(RotatingCredential::close);
    }
  }

  @org.junit.jupiter.api.Test
  void renewableLeases_afterASharedOutage_spreadTheirReplacementsAgain() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(60), Duration.ofMinutes(10), true).announceMaxTtl(false).build();
    java.util.List<RotatingCredential> fleet = new java.util.ArrayList<>();
    try {
      startFleet(backend, fleet);
      f.advance(Duration.ofMinutes(25));
      backend.failAlways(FailureKind.TRANSIENT); // every renewal fails: the leases run out
      f.advance(Duration.ofMinutes(2));
      backend.recover();
      java.time.Instant recovery = f.time.now();
      f.advance(Duration.ofMinutes(2));
      // everyone fetched a new lease right after the recovery, all with the same max end
      assertThat(fleet).allSatisfy(c -> assertThat(c.get().issuedAt()).isAfterOrEqualTo(recovery));
      f.advance(Duration.ofMinutes(10));
      java.util.List<java.time.Instant> issued = fleet.stream().map(c -> c.get().issuedAt()).sorted().toList();
      assertThat(Duration.between(issued.get(0), issued.get(issued.size() - 1)))
          .as("the leases issued after the recovery were replaced at points drawn over their life")
          .isGreaterThan(Duration.ofMinutes(4));
    } finally {
      fleet.forEach(RotatingCredential::close);
    }
  }

  /** Forty credentials on one backend and one timeline, each with its own seeded random, started together. */
  private void startFleet(InMemoryCredentialProvider backend, java.util.List<RotatingCredential> fleet) {
    for (long seed = 0; seed < 40; seed++) {
      RotatingCredential c = RotatingCredential.builder("api-key-" + seed, backend).clock(f.time.clock())
          .scheduler(f.time.scheduler()).ioExecutor(io.github.rotate4j.testing.ManualTime.directExecutor())
          .eventExecutor(io.github.rotate4j.testing.ManualTime.directExecutor()).random(new java.util.Random(seed))
          .retryConfig(DETERMINISTIC_RETRY).build();
      fleet.add(c);
      c.start();
    }
  }
}
