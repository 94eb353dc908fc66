package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * 64 threads reading, refreshing and reporting rejections while the backend is slow: at most one
 * backend call at a time, and exactly as many calls as the single-flight and rate-limit rules allow.
 * Real threads for the callers and for provider I/O; manual time so the rate limit is exact.
 */
class ConcurrencyTest {

  private static final int THREADS = 64;
  private final ExecutorService callers = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void stop() {
    callers.shutdownNow();
  }

  @Test
  void concurrentRefreshesAndRejections_causeOneBackendCallAtATime_countedExactly() throws Exception {
    ManualTime time = ManualTime.create();
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().clock(time.clock()).initialValue("key-1").build();
    try (RotatingCredential c = RotatingCredential.builder("api", backend)
        .clock(time.clock()).scheduler(time.scheduler()).build()) {
      c.start();
      assertThat(backend.fetchCount()).isEqualTo(1);

      // round 1: refreshNow, reportRejected and get from 64 threads while the backend holds the call
      backend.hold();
      List<CompletableFuture<Credential>> results = storm(c, i -> i % 2 == 0 ? c.refreshNow() : c.reportRejected(c.get()));
      backend.release();
      for (CompletableFuture<Credential> r : results) {
        assertThat(r.get(10, TimeUnit.SECONDS).secretString()).isEqualTo("key-1");
      }
      assertThat(backend.fetchCount()).isEqualTo(2);

      // round 2: only rejections, backend slow again: single-flight still holds
      time.advance(Duration.ofSeconds(1));
      backend.hold();
      results = storm(c, i -> c.reportRejected(c.get()));
      backend.release();
      for (CompletableFuture<Credential> r : results) {
        r.get(10, TimeUnit.SECONDS);
      }
      assertThat(backend.fetchCount()).isEqualTo(3);

      // round 3: same instant, fast backend: the rate limit allows no forced refresh at all
      results = storm(c, i -> c.reportRejected(c.get()));
      for (CompletableFuture<Credential> r : results) {
        r.get(10, TimeUnit.SECONDS);
      }
      assertThat(backend.fetchCount()).isEqualTo(3);

      time.advance(Duration.ofSeconds(1));
      results = storm(c, i -> c.reportRejected(c.get()));
      for (CompletableFuture<Credential> r : results) {
        r.get(10, TimeUnit.SECONDS);
      }
      assertThat(backend.fetchCount()).as("one forced refresh per second").isEqualTo(4);
      assertThat(backend.maxConcurrentCalls()).isEqualTo(1);
    }
  }

  /**
   * A backend that reads its value first and then answers slowly: a call already running has read
   * what was there before anything changed during it.
   */
  private static final class ReadsThenWaits implements io.github.rotate4j.spi.CredentialProvider {
    volatile int version = 1;
    final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    volatile CountDownLatch arrived = new CountDownLatch(0);
    volatile CountDownLatch gate = new CountDownLatch(0);

    @Override
    public String backend() {
      return "slow";
    }

    @Override
    public String path() {
      return "secret/api";
    }

    @Override
    public io.github.rotate4j.spi.FetchResult fetch(io.github.rotate4j.spi.FetchContext context) {
      int read = version;
      calls.incrementAndGet();
      arrived.countDown();
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return io.github.rotate4j.spi.FetchResult.builder(Credential.builder(String.valueOf(read))
          .value(SecretValue.ofString("key-" + read)).issuedAt(java.time.Instant.EPOCH).build()).build();
    }
  }

  @Test
  void refreshNow_joiningAScheduledPollThatReadBeforeARotation_fetchesOnceMoreAfterIt_andSeesTheRotation() throws Exception {
    ManualTime time = ManualTime.create();
    ReadsThenWaits backend = new ReadsThenWaits();
    try (RotatingCredential c = RotatingCredential.builder("api", backend)
        .clock(time.clock()).scheduler(time.scheduler())
        .refreshPolicy(RefreshPolicy.custom().jitter(0).attemptTimeout(Duration.ofMinutes(1)).build()).build()) {
      c.start();
      backend.arrived = new CountDownLatch(1);
      backend.gate = new CountDownLatch(1);
      time.advance(Duration.ofMinutes(5)); // the scheduled poll starts on an I/O thread, reads version 1, waits
      assertThat(backend.arrived.await(10, TimeUnit.SECONDS)).isTrue();

      backend.version = 2; // rotated while that poll is under way
      List<CompletableFuture<Credential>> results = storm(c, i -> i % 2 == 0 ? c.refreshNow() : c.reportRejected(c.get()));
      assertThat(results).noneMatch(CompletableFuture::isDone);
      backend.gate.countDown();

      for (CompletableFuture<Credential> r : results) {
        assertThat(r.get(10, TimeUnit.SECONDS).secretString()).as("not the poll's stale answer").isEqualTo("key-2");
      }
      assertThat(backend.calls.get()).as("start, the poll, and one follow-up for all 64 callers").isEqualTo(3);
      assertThat(c.get().version()).isEqualTo("2");
    }
  }

  private interface Action {
    CompletableFuture<Credential> run(int i);
  }

  /** Runs the action on 64 threads at once (plus 1000 reads each) and waits until all have called it. */
  private List<CompletableFuture<Credential>> storm(RotatingCredential c, Action action) throws Exception {
    CyclicBarrier barrier = new CyclicBarrier(THREADS);
    CountDownLatch called = new CountDownLatch(THREADS);
    List<CompletableFuture<Credential>> results = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int i = t;
      callers.execute(() -> {
        try {
          barrier.await(10, TimeUnit.SECONDS);
          for (int r = 0; r < 1000; r++) {
            c.get();
          }
          results.add(action.run(i));
        } catch (Throwable e) {
          errors.add(e);
        } finally {
          called.countDown();
        }
      });
    }
    assertThat(called.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(errors).isEmpty();
    assertThat(results).hasSize(THREADS);
    return results;
  }
}
