package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.CredentialStatus;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Vault process freezes (SIGSTOP) while a lease is valid: serve the last good credential, open the breaker, recover. */
@ExtendWith(DevServers.class)
class VaultOutageIT {

  private static final Logger LOG = LoggerFactory.getLogger(VaultOutageIT.class);
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration OUTAGE = Duration.ofSeconds(6);

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  String dbMount;

  VaultOutageIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp() {
    dbMount = DatabaseEngine.configure(bao, pg, "2m", "5m");
  }

  @AfterEach
  void tearDown() {
    bao.api("DELETE", "sys/mounts/" + dbMount, null);
  }

  @Test
  void frozenVault_keepsServingTheLease_opensTheBreaker_andRecovers() throws Exception {
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken()))
            .requestTimeout(CLIENT_TIMEOUT).build();
        RotatingCredential db = RotatingCredential.builder("orders-db", VaultLeaseProvider.of(session, dbMount + "/creds/app"))
            .refreshPolicy(RefreshPolicy.custom()
                .attemptTimeout(Duration.ofSeconds(2))
                .recoveryInterval(Duration.ofSeconds(1))
                .startupTimeout(Duration.ofSeconds(10))
                .build())
            .retryConfig(RetryConfig.custom()
                .maxAttempts(2)
                .intervalFunction(IntervalFunction.of(Duration.ofMillis(200)))
                .retryOnException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
                .build())
            .circuitBreakerConfig(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(2)
                .minimumNumberOfCalls(2)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(3))
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
                .build())
            .build()) {
      db.start();
      Credential before = db.get();
      assertThat(db.status().state()).isEqualTo(CredentialState.UP);

      bao.pause();
      Instant pausedAt = Instant.now();
      try {
        // on-demand refreshes hit the frozen server and time out, until the breaker opens
        Instant deadline = Instant.now().plusSeconds(20);
        while (db.status().circuitState() != CircuitBreaker.State.OPEN && Instant.now().isBefore(deadline)) {
          settle(db.refreshNow());
        }
        CredentialStatus degraded = db.status();
        LOG.info("while frozen: {}", degraded);
        assertThat(degraded.state()).isEqualTo(CredentialState.DEGRADED);
        assertThat(degraded.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(degraded.lastFailure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TRANSIENT));
        assertThat(db.get()).isSameAs(before);
        try (Connection c = pg.connect(before.usernamePassword().username(), before.usernamePassword().password())) {
          assertThat(c.isValid(2)).isTrue();
        }
        // stay frozen well past the client timeout: the lease keeps being served all along
        while (Duration.between(pausedAt, Instant.now()).compareTo(OUTAGE) < 0) {
          assertThat(db.get()).isSameAs(before);
          assertThat(db.status().state()).isEqualTo(CredentialState.DEGRADED);
          Thread.sleep(200);
        }
      } finally {
        bao.resume();
      }

      Instant deadline = Instant.now().plusSeconds(30);
      while (db.status().state() != CredentialState.UP && Instant.now().isBefore(deadline)) {
        settle(db.refreshNow());
        Thread.sleep(250);
      }
      CredentialStatus recovered = db.status();
      LOG.info("after thaw: {}", recovered);
      assertThat(recovered.state()).isEqualTo(CredentialState.UP);
      assertThat(recovered.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
      Credential after = db.get();
      try (Connection c = pg.connect(after.usernamePassword().username(), after.usernamePassword().password())) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  private static void settle(CompletableFuture<Credential> f) throws InterruptedException {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException expected) {
      // a failed refresh is what this test provokes
    }
  }
}
