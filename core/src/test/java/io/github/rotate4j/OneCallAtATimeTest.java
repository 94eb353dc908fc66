package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A backend that hangs gets one call at a time, and what a late call issued is served or revoked. */
class OneCallAtATimeTest {

  private final Fixture f = new Fixture();
  private final List<Runnable> parked = new ArrayList<>();

  private RotatingCredentialBuilder parkedIo(InMemoryCredentialProvider backend) {
    return RotatingCredential.builder("api-key", backend)
        .clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(parked::add).eventExecutor(Runnable::run)
        .random(new java.util.Random(7))
        .listener(CredentialListener.forEvery(f.events::add));
  }

  @Test
  void hungBackend_getsNoSecondCall_untilTheFirstReturns() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = parkedIo(backend).lazyStart(true).build()) {
      c.start();
      f.advance(Duration.ofMinutes(30));
      assertThat(parked).as("one call, however many attempts timed out").hasSize(1);
      assertThat(f.events(RefreshFailed.class)).isNotEmpty()
          .allSatisfy(e -> assertThat(e.message()).contains("no answer"));
      assertThat(((RefreshingCredential) c).callOutstanding()).isTrue();

      parked.remove(0).run(); // the hung call finally returns
      assertThat(c.get().secretString()).isEqualTo("key-1");
      assertThat(((RefreshingCredential) c).callOutstanding()).isFalse();
    }
  }

  @Test
  void anAttemptDueWhileACallHangs_runsWhenTheCallReturns() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failNext(1, FailureKind.TRANSIENT);
    try (RotatingCredential c = parkedIo(backend).lazyStart(true).build()) {
      c.start();
      f.advance(Duration.ofMinutes(2)); // timed out, retries came due and wait for the call
      assertThat(parked).hasSize(1);
      parked.remove(0).run(); // returns a (late) transient failure
      assertThat(parked).as("the waiting attempt starts at once").hasSize(1);
      parked.remove(0).run();
      assertThat(c.get().secretString()).isEqualTo("key-1");
    }
  }

  @Test
  void realThreads_timedOutCallIsInterrupted_andCallsNeverOverlap() throws Exception {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    ExecutorService io = Executors.newCachedThreadPool();
    try (RotatingCredential c = RotatingCredential.builder("api-key", backend)
        .clock(f.time.clock()).scheduler(f.time.scheduler()).ioExecutor(io).eventExecutor(Runnable::run)
        .refreshPolicy(RefreshPolicy.custom().attemptTimeout(Duration.ofSeconds(1)).build())
        .lazyStart(true).build()) {
      backend.hold();
      c.start();
      assertThat(backend.awaitCall(Duration.ofSeconds(10))).isTrue();
      for (int i = 0; i < 20; i++) {
        f.advance(Duration.ofSeconds(1)); // each timeout interrupts the held call, which then returns
      }
      assertThat(backend.maxConcurrentCalls()).isEqualTo(1);
      backend.release();
    } finally {
      io.shutdownNow();
      assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
