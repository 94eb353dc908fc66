package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.event.CircuitStateChanged;
import io.github.rotate4j.event.CredentialExpired;
import io.github.rotate4j.event.CredentialExpiring;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FailureTest {

  private final Fixture f = new Fixture();

  @Test
  void permanentError_isNotRetried_andTheNextCycleIsStillScheduled() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.failAlways(FailureKind.PERMANENT);
      f.time.advanceTo(c.status().nextRefresh().orElseThrow());
      assertThat(backend.fetchCount()).isEqualTo(2);
      RefreshFailed failed = f.events(RefreshFailed.class).get(0);
      assertThat(failed.attempt()).isEqualTo(1);
      assertThat(failed.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(failed.nextAttemptTime()).isPresent();
      assertThat(Duration.between(failed.time(), failed.nextAttempt()))
          .as("a failed poll is a missed poll: the next one comes on the credential's own grid")
          .isBetween(Duration.ofSeconds(120), Duration.ofSeconds(480));
      assertThat(c.get().secretString()).as("stale-if-error").isEqualTo("key-1");
      assertThat(c.status().state()).isEqualTo(CredentialState.DEGRADED);
      assertThat(c.status().lastFailure()).hasValueSatisfying(x -> assertThat(x.kind()).isEqualTo(FailureKind.PERMANENT));

      f.time.advanceTo(failed.nextAttempt());
      assertThat(backend.fetchCount()).as("refresh never stops after an error").isEqualTo(3);
      backend.recover();
      f.advance(Duration.ofMinutes(8));
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
      assertThat(c.status().consecutiveFailures()).isZero();
      assertThat(c.status().failedAttempts()).isGreaterThanOrEqualTo(2);
      assertThat(c.status().successfulRefreshes()).as("start and recovery").isEqualTo(2);
      assertThat(c.status().rotations()).isZero();
    }
  }

  @Test
  void transientErrors_areRetriedWithExponentialBackoffAndJitter() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.failAlways(FailureKind.TRANSIENT);
      CompletableFuture<Credential> forced = c.refreshNow(); // someone needs it now: every attempt
      f.advance(Duration.ofSeconds(20));
      assertThat(forced).isCompletedExceptionally();
      List<RefreshFailed> failures = f.events(RefreshFailed.class);
      assertThat(failures).extracting(RefreshFailed::attempt).startsWith(1, 2, 3, 4);
      for (int i = 0; i < 3; i++) {
        Duration gap = Duration.between(failures.get(i).time(), failures.get(i + 1).time());
        long base = 1000L << i; // 1 s, 2 s, 4 s
        assertThat(gap.toMillis()).as("backoff before attempt %d", i + 2).isBetween(base / 2, base * 3 / 2);
      }
      assertThat(Duration.between(failures.get(3).time(), failures.get(3).nextAttempt()))
          .as("after the last attempt a static secret waits for its next poll on its own grid")
          .isBetween(Duration.ofSeconds(120), Duration.ofSeconds(480));
    }
  }

  @Test
  void scheduledPoll_ofAStaticSecret_retriesOnce_thenKeepsItsOwnGrid() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      f.time.advanceTo(c.status().nextRefresh().orElseThrow());
      Instant firstPoll = f.time.now();
      Instant planned = c.status().nextRefresh().orElseThrow();
      Duration interval = RefreshPolicy.DEFAULT_REFRESH_INTERVAL;
      assertThat(Duration.between(firstPoll, planned)).isBetween(interval.multipliedBy(8).dividedBy(10),
          interval.multipliedBy(12).dividedBy(10));
      backend.failAlways(FailureKind.TRANSIENT);
      f.time.advanceTo(planned);
      f.advance(Duration.ofSeconds(10));
      List<RefreshFailed> failures = f.events(RefreshFailed.class);
      assertThat(failures).extracting(RefreshFailed::attempt).as("one quick retry for a blip").containsExactly(1, 2);
      Instant nextPoll = failures.get(1).nextAttempt();
      // the grid is firstPoll's phase + k × interval (± 10 % jitter around each point): the failed poll
      // was its point 1, the next one is point 2
      Duration sinceFirst = Duration.between(firstPoll, nextPoll);
      assertThat(sinceFirst).isBetween(interval.multipliedBy(2).minus(interval.dividedBy(5)),
          interval.multipliedBy(2).plus(interval.dividedBy(5)));
      assertThat(c.get().secretString()).as("stale-if-error").isEqualTo("key-1");
      assertThat(c.status().state()).isEqualTo(CredentialState.DEGRADED);

      backend.recover();
      f.time.advanceTo(nextPoll);
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
      Duration afterRecovery = Duration.between(firstPoll, c.status().nextRefresh().orElseThrow());
      assertThat(afterRecovery).as("the phase survives the failure").isBetween(
          interval.multipliedBy(3).minus(interval.dividedBy(5)), interval.multipliedBy(3).plus(interval.dividedBy(5)));
    }
  }

  @Test
  void scheduledReplacement_ofALeaseWithTimeToSpare_retriesOnce_thenSpreadsItsRetryOverTheTimeLeft() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofHours(1), Duration.ofHours(1), false).build();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      Instant expiry = c.get().expiresAt().orElseThrow();
      backend.failAlways(FailureKind.TRANSIENT);
      f.time.advanceTo(c.status().nextRefresh().orElseThrow());
      f.advance(Duration.ofSeconds(10));
      List<RefreshFailed> failures = f.events(RefreshFailed.class);
      assertThat(failures).extracting(RefreshFailed::attempt).containsExactly(1, 2);
      Instant next = failures.get(1).nextAttempt();
      Duration room = Duration.between(failures.get(1).time(), expiry.minus(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT));
      assertThat(Duration.between(failures.get(1).time(), next)).isLessThanOrEqualTo(room.multipliedBy(3).dividedBy(4));

      f.time.advanceTo(expiry.minus(Duration.ofSeconds(100)));
      Instant hurriedFrom = expiry.minus(RefreshPolicy.DEFAULT_RECOVERY_INTERVAL.multipliedBy(4));
      assertThat(f.events(RefreshFailed.class)).as("while it has time to spare, two attempts per cycle")
          .filteredOn(e -> e.time().isBefore(hurriedFrom)).allSatisfy(e -> assertThat(e.attempt()).isLessThanOrEqualTo(2));
      assertThat(f.events(RefreshFailed.class)).allSatisfy(e ->
          assertThat(e.nextAttemptTime().orElseThrow()).isBeforeOrEqualTo(expiry.minus(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT)));
      backend.recover();
      f.time.advanceTo(expiry.minusSeconds(1));
      assertThat(c.get().expiresAt().orElseThrow()).as("replaced before it expired").isAfter(expiry);
    }
  }

  @Test
  void defaultRetryBackoff_isDrawnFromTheCredentialsRandomSource() {
    List<List<Instant>> runs = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      Fixture g = new Fixture();
      InMemoryCredentialProvider backend = g.staticBackend("key-1");
      try (RotatingCredential c = RotatingCredential.builder("api-key", backend)
          .clock(g.time.clock()).scheduler(g.time.scheduler())
          .ioExecutor(Runnable::run).eventExecutor(Runnable::run).random(new java.util.Random(7))
          .listener(io.github.rotate4j.event.CredentialListener.forEvery(g.events::add)).build()) {
        c.start();
        backend.failAlways(FailureKind.TRANSIENT);
        c.refreshNow();
        g.advance(Duration.ofSeconds(20));
        runs.add(g.events(RefreshFailed.class).stream().map(RefreshFailed::time).toList());
      }
    }
    assertThat(runs.get(0)).hasSize(4).isEqualTo(runs.get(1));
  }

  @Test
  void retries_stopBeforeHardExpiry_thenExpiredIsNeverServed_thenRecovery() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(100), Duration.ofSeconds(100), false).build();
    RefreshPolicy policy = Fixture.policy().recoveryInterval(Duration.ofSeconds(30)).build();
    try (RotatingCredential c = f.builder(backend).refreshPolicy(policy)
        .retryConfig(RetryConfig.custom().maxAttempts(10).waitDuration(Duration.ofSeconds(20)).build()).build()) {
      c.start();
      Credential lease = c.get();
      Instant expiry = lease.expiresAt().orElseThrow();
      backend.failAlways(FailureKind.TRANSIENT);
      f.time.advanceTo(expiry.minusSeconds(1));
      List<RefreshFailed> failures = f.events(RefreshFailed.class);
      Instant latestStart = expiry.minus(policy.attemptTimeout());
      assertThat(failures).allSatisfy(e -> assertThat(e.time()).isBeforeOrEqualTo(latestStart));
      assertThat(failures.get(failures.size() - 1).time()).as("the last retry is pulled in to fit").isEqualTo(latestStart);
      assertThat(c.get()).as("served until its hard expiry").isSameAs(lease);
      assertThat(c.status().state()).isEqualTo(CredentialState.DEGRADED);
      assertThat(f.events(CredentialExpiring.class)).isNotEmpty();

      f.time.advanceTo(expiry);
      assertThatThrownBy(c::get).isInstanceOf(CredentialExpiredException.class)
          .hasMessageContaining("api-key").hasMessageContaining("expired at " + expiry)
          .hasMessageContaining("simulated transient failure");
      assertThat(c.status().state()).isEqualTo(CredentialState.DOWN);
      assertThat(f.events(CredentialExpired.class)).singleElement()
          .satisfies(e -> assertThat(e.version()).isEqualTo(lease.version()));

      backend.recover();
      f.advance(Duration.ofSeconds(60)); // the breaker opened at expiry and waits 30 s before a probe
      assertThat(c.get().version()).isNotEqualTo(lease.version());
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
      assertThat(f.events(CredentialRotated.class)).isNotEmpty();
    }
  }

  @Test
  void circuitBreaker_opensStopsCallsAndProbesHalfOpen() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    CircuitBreakerConfig breaker = CircuitBreakerConfig.from(RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG)
        .slidingWindowSize(2).minimumNumberOfCalls(2).waitDurationInOpenState(Duration.ofSeconds(60)).build();
    RefreshPolicy policy = Fixture.policy().jitter(0).refreshInterval(Duration.ofSeconds(10))
        .recoveryInterval(Duration.ofSeconds(10)).build();
    try (RotatingCredential c = f.builder(backend).refreshPolicy(policy).circuitBreakerConfig(breaker)
        .retryConfig(RetryConfig.custom().maxAttempts(1).build()).build()) {
      c.start();
      backend.failAlways(FailureKind.TRANSIENT);
      f.advance(Duration.ofSeconds(10));
      assertThat(c.status().circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(f.events(CircuitStateChanged.class)).extracting(CircuitStateChanged::to)
          .containsExactly(CircuitBreaker.State.OPEN);
      int callsWhenOpened = backend.fetchCount();

      f.advance(Duration.ofSeconds(50));
      assertThat(backend.fetchCount()).as("no backend call while open").isEqualTo(callsWhenOpened);
      assertThat(f.events(RefreshFailed.class).get(f.events(RefreshFailed.class).size() - 1).message())
          .contains("circuit breaker").contains("open");

      backend.recover();
      f.advance(Duration.ofSeconds(20));
      assertThat(backend.fetchCount()).as("one probe after the wait").isEqualTo(callsWhenOpened + 1);
      assertThat(f.events(CircuitStateChanged.class)).extracting(CircuitStateChanged::to)
          .containsExactly(CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED);
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @Test
  void attemptTimeout_countsAsTransientFailure_andTheLateAnswerIsServed() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    java.util.List<Runnable> parked = new java.util.ArrayList<>();
    try (RotatingCredential c = RotatingCredential.builder("api-key", backend)
        .clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(parked::add).eventExecutor(Runnable::run)
        .listener(io.github.rotate4j.event.CredentialListener.forEvery(f.events::add))
        .lazyStart(true).build()) {
      c.start();
      assertThat(parked).hasSize(1);
      f.advance(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT);
      assertThat(f.events(RefreshFailed.class)).singleElement()
          .satisfies(e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
            assertThat(e.message()).contains("no answer within 10.00 s").contains("secret/app/api-key");
          });
      f.advance(Duration.ofMinutes(1));
      assertThat(parked).as("no second call while the first has not returned").hasSize(1);
      parked.get(0).run(); // the slow answer arrives after its timeout
      assertThat(backend.fetchCount()).isEqualTo(1);
      assertThat(c.get().secretString()).as("what the backend issued is served, not dropped").isEqualTo("key-1");
    }
  }
}
