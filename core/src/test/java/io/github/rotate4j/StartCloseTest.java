package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Start-up against open breakers, start racing close, registries that fail to start, schedulers that throw. */
class StartCloseTest {

  private final Fixture f = new Fixture();

  @RepeatedTest(20)
  void startRacingClose_neverThrowsARawRejectedExecutionException() throws Exception {
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue("k").build();
    RotatingCredential c = RotatingCredential.builder("api", backend).build();
    CountDownLatch go = new CountDownLatch(1);
    Thread closer = new Thread(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      c.close();
    });
    closer.start();
    go.countDown();
    try {
      c.start();
    } catch (RuntimeException e) {
      assertThat(e).as("a start that loses the race says why").isNotInstanceOf(RejectedExecutionException.class)
          .satisfiesAnyOf(x -> assertThat(x).isInstanceOf(CredentialException.class),
              x -> assertThat(x).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed"));
    }
    closer.join(10_000);
    assertThat(closer.isAlive()).isFalse();
  }

  @Test
  void startAfterTheSchedulerWasShutDown_stillStarts() {
    ScheduledExecutorService dead = new ScheduledThreadPoolExecutor(1);
    dead.shutdown();
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue("k").build();
    try (RotatingCredential c = RotatingCredential.builder("api", backend)
        .scheduler(Scheduler.of(dead)).ioExecutor(Runnable::run).eventExecutor(Runnable::run).build()) {
      c.start();
      assertThat(c.get().secretString()).isEqualTo("k");
      assertThat(c.status().nextRefresh()).as("refresh is planned on the fallback timer").isPresent();
    }
  }

  @Test
  void aSchedulerThatThrows_neverStopsRefresh() throws Exception {
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue("key-1").build();
    AtomicBoolean broken = new AtomicBoolean();
    ManualTime time = ManualTime.create();
    Scheduler flaky = (task, delay) -> {
      if (broken.get()) {
        throw new RejectedExecutionException("scheduler was shut down");
      }
      return time.scheduler().schedule(task, delay);
    };
    CountDownLatch rotated = new CountDownLatch(1);
    try (RotatingCredential c = RotatingCredential.builder("api", backend)
        .scheduler(flaky).ioExecutor(Runnable::run).eventExecutor(Runnable::run)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofMillis(100)).jitter(0).build())
        .listener(new CredentialListener() {
          @Override
          public void onRotated(CredentialRotated event) {
            if (event.newVersion().equals("3")) { // key-3: only a poll (the fallback timer's) brings it
              rotated.countDown();
            }
          }
        })
        .build()) {
      c.start();
      broken.set(true);
      backend.rotate("key-2");
      CompletableFuture<Credential> f1 = c.refreshNow();
      assertThat(f1.get(5, TimeUnit.SECONDS).secretString()).as("the cycle completes").isEqualTo("key-2");
      assertThat(c.status().nextRefresh()).isPresent();
      backend.rotate("key-3");
      assertThat(rotated.await(10, TimeUnit.SECONDS)).as("the next poll ran on the fallback timer").isTrue();
      assertThat(c.get().secretString()).isEqualTo("key-3");
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @Test
  void startUp_survivesABreakerOpenedByOtherCredentials_untilItsTimeout() {
    CircuitBreaker shared = CircuitBreaker.of("shared", io.github.resilience4j.circuitbreaker.CircuitBreakerConfig
        .from(RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG).clock(f.time.clock()).build());
    List<CompletableFuture<RotatingCredential>> starts = new ArrayList<>();
    List<RotatingCredential> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      InMemoryCredentialProvider backend = f.backend().path("secret/" + i).initialValue("k" + i).build();
      backend.failNext(2, FailureKind.TRANSIENT);
      RotatingCredential c = RotatingCredential.builder("c" + i, backend)
          .clock(f.time.clock()).scheduler(f.time.scheduler())
          .ioExecutor(Runnable::run).eventExecutor(Runnable::run).random(new java.util.Random(i))
          .circuitBreaker(shared).build();
      all.add(c);
      starts.add(c.startAsync());
    }
    f.advance(RefreshPolicy.DEFAULT_STARTUP_TIMEOUT.minusSeconds(1));
    assertThat(starts).allSatisfy(s -> assertThat(s).isCompleted());
    assertThat(all).allSatisfy(c -> assertThat(c.get().secretString()).startsWith("k"));
    all.forEach(RotatingCredential::close);
  }

  @Test
  void registryWhoseStartFails_closesEveryCredential_andRevokesTheirLeases() {
    InMemoryCredentialProvider good = f.backend().path("db/good").initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    InMemoryCredentialProvider bad = f.backend().path("db/bad").initialValue("pw").build();
    bad.failAlways(FailureKind.PERMANENT);
    CredentialRegistry registry = CredentialRegistry.builder()
        .clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(Runnable::run).eventExecutor(Runnable::run)
        .register("good", good).register("bad", bad).build();
    assertThatThrownBy(registry::start).isInstanceOf(CredentialStartupException.class).hasMessageContaining("db/bad");
    assertThat(good.revokedLeases()).hasSize(1);
    int calls = good.fetchCount();
    f.advance(Duration.ofHours(1));
    assertThat(good.fetchCount()).as("nothing keeps polling").isEqualTo(calls);
  }

  @Test
  void closedCredential_leavesItsSharedBreaker() {
    CircuitBreaker shared = CircuitBreaker.ofDefaults("shared-" + System.nanoTime());
    RotatingCredential c = f.builder(f.staticBackend("k")).circuitBreaker(shared).build();
    assertThat(BreakerFanOut.members(shared)).isEqualTo(1);
    c.start();
    c.close();
    assertThat(BreakerFanOut.members(shared)).as("nothing of the closed credential stays reachable").isZero();
    assertThatThrownBy(c::keyRing).isInstanceOf(CredentialUnavailableException.class);
  }

  @Test
  void breakerAndBreakerConfig_excludeEachOther() {
    assertThatThrownBy(() -> f.builder(f.staticBackend("k")).circuitBreaker(CircuitBreaker.ofDefaults("x"))
        .circuitBreakerConfig(RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be combined");
  }
}
