package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every lease the backend issued is served or revoked, whatever the timing; the record of them stays small. */
class LeaseAccountingTest {

  private final Fixture f = new Fixture();
  private final List<Runnable> parked = new ArrayList<>();

  private RotatingCredentialBuilder parkedIo(InMemoryCredentialProvider backend) {
    return RotatingCredential.builder("db", backend)
        .clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(r -> {
          if (parking) {
            parked.add(r);
          } else {
            r.run();
          }
        })
        .eventExecutor(Runnable::run).random(new java.util.Random(3));
  }

  private boolean parking = true;

  @Test
  void closeBeforeTheCallStarts_asksForNothing() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    RotatingCredential c = parkedIo(backend).lazyStart(true).build();
    c.start();
    c.close();
    parked.remove(0).run();
    assertThat(backend.fetchCount()).isZero();
  }

  @Test
  void fetchAnsweredWhileCloseRuns_isRevoked() throws Exception {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newSingleThreadExecutor();
    RotatingCredential c = RotatingCredential.builder("db", backend)
        .clock(f.time.clock()).scheduler(f.time.scheduler()).ioExecutor(io).eventExecutor(Runnable::run)
        .lazyStart(true).build();
    backend.hold();
    c.start();
    assertThat(backend.awaitCall(Duration.ofSeconds(10))).isTrue();
    c.close(); // the fetch is in progress at the backend
    backend.release();
    io.shutdown();
    assertThat(io.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(backend.fetchCount()).isEqualTo(1);
    assertThat(backend.revokedLeases()).as("the lease issued during close is revoked").hasSize(1);
  }

  @Test
  void fetchAnsweredAfterItsTimeoutAndAfterClose_isRevokedByTheLateAnswer() throws Exception {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
    // a provider that ignores interrupts: its answer comes whenever the backend sends it
    io.github.rotate4j.spi.CredentialProvider stubborn = new io.github.rotate4j.spi.CredentialProvider() {
      @Override
      public String backend() {
        return backend.backend();
      }

      @Override
      public String path() {
        return backend.path();
      }

      @Override
      public io.github.rotate4j.spi.FetchResult fetch(io.github.rotate4j.spi.FetchContext context) {
        arrived.countDown();
        boolean interrupted = false;
        while (true) {
          try {
            gate.await();
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        return backend.fetch(context);
      }

      @Override
      public void revoke(Credential lease) {
        backend.revoke(lease);
      }
    };
    java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newSingleThreadExecutor();
    RotatingCredential c = RotatingCredential.builder("db", stubborn)
        .clock(f.time.clock()).scheduler(f.time.scheduler()).ioExecutor(io).eventExecutor(Runnable::run)
        .lazyStart(true).build();
    c.start();
    assertThat(arrived.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    f.advance(Duration.ofSeconds(30)); // the attempt timed out; the call goes on
    c.close();
    gate.countDown(); // the backend answers now, with a lease
    io.shutdown();
    assertThat(io.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(backend.fetchCount()).isEqualTo(1);
    assertThat(backend.revokedLeases()).as("the late lease is not orphaned").hasSize(1);
  }

  @Test
  void lateRenewal_updatesTheExpiry_andCloseRevokesTheLease() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(30), Duration.ofHours(24), true).build();
    parking = false;
    RotatingCredential c = parkedIo(backend).build().start();
    Credential lease = c.get();
    parking = true;
    f.time.advanceTo(c.status().nextRefresh().orElseThrow()); // renewal submitted, parked
    Runnable renewal = parked.remove(0);
    f.advance(Duration.ofSeconds(15)); // it timed out (attempt timeout: 10 s)
    parking = false;
    renewal.run(); // the backend extends the lease late
    Instant renewedEnd = c.get().expiresAt().orElseThrow();
    assertThat(renewedEnd).as("the late renewal is applied").isAfter(lease.expiresAt().orElseThrow());
    assertThat(c.get().version()).isEqualTo(lease.version());
    c.close();
    assertThat(backend.revokedLeases()).contains(lease.version());
  }

  @Test
  void issuedLeases_keepOnlyTheLiveOnes_overTwoDaysOfShortLeases() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(2), Duration.ofMinutes(2), false).build();
    parking = false;
    RefreshingCredential c = (RefreshingCredential) parkedIo(backend).build().start();
    f.advance(Duration.ofDays(2));
    assertThat(backend.fetchCount()).isGreaterThan(1000);
    assertThat(c.trackedLeases()).as("expired leases are forgotten").isLessThanOrEqualTo(3);
    c.close();
    assertThat(backend.revokedLeases()).as("the live leases, not two days of expired ones").hasSizeBetween(1, 3);
  }
}
