package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OnDemandTest {

  private final Fixture f = new Fixture();

  @Test
  void refreshNow_fetchesAndPublishesTheNewVersion() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.rotate("key-2");
      CompletableFuture<Credential> done = c.refreshNow();
      assertThat(done).isCompletedWithValueMatching(cred -> cred.secretString().equals("key-2"));
      assertThat(c.get().secretString()).isEqualTo("key-2");
    }
  }

  @Test
  void reportRejected_isRateLimitedPerCredential() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      Credential current = c.get();
      for (int i = 0; i < 10; i++) {
        c.reportRejected(current);
      }
      assertThat(backend.fetchCount()).as("one forced refresh per second").isEqualTo(2);
      f.advance(Duration.ofMillis(999));
      c.reportRejected(current);
      assertThat(backend.fetchCount()).isEqualTo(2);
      f.advance(Duration.ofMillis(1));
      c.reportRejected(current);
      assertThat(backend.fetchCount()).isEqualTo(3);
    }
  }

  @Test
  void reportRejected_ofAnOldVersion_returnsTheCurrentOneWithoutBackendCall() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      Credential old = c.get();
      backend.rotate("key-2");
      c.refreshNow();
      int calls = backend.fetchCount();
      assertThat(c.reportRejected(old)).isCompletedWithValueMatching(cred -> cred.version().equals("2"));
      assertThat(backend.fetchCount()).isEqualTo(calls);
    }
  }

  @Test
  void refreshNow_reschedulesTheNextPoll() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).refreshPolicy(Fixture.policy().jitter(0).build()).build()) {
      c.start();
      f.advance(Duration.ofMinutes(4));
      c.refreshNow().join();
      assertThat(c.status().nextRefresh()).as("the poll keeps its phase, skipping the grid point 1 min away")
          .contains(ManualTime.DEFAULT_START.plus(Duration.ofMinutes(10)));
      f.advance(Duration.ofMinutes(2));
      assertThat(backend.fetchCount()).as("the poll at 5 min was skipped").isEqualTo(2);
    }
  }

  @Test
  void refreshNow_duringABackoff_runsTheNextAttemptAtOnce_withoutASecondCall() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).refreshPolicy(Fixture.policy().jitter(0).build())
        .retryConfig(io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(5)
            .waitDuration(Duration.ofSeconds(20)).build()).build()) {
      c.start();
      backend.failNext(1, io.github.rotate4j.FailureKind.TRANSIENT);
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(5));
      assertThat(backend.fetchCount()).as("the poll failed; a retry waits 20 s").isEqualTo(2);
      assertThat(c.status().nextRefresh()).contains(f.time.now().plusSeconds(20));

      CompletableFuture<Credential> done = c.refreshNow();
      assertThat(done).isCompletedWithValueMatching(cred -> cred.secretString().equals("key-2"));
      assertThat(backend.fetchCount()).isEqualTo(3);

      f.advance(Duration.ofSeconds(20));
      assertThat(backend.fetchCount()).as("the cancelled retry does not run as well").isEqualTo(3);
      assertThat(c.status().nextRefresh()).contains(f.time.now().minusSeconds(20).plus(Duration.ofMinutes(5)));
    }
  }

  @Test
  void reportRejected_duringABackoff_isRateLimitedToo() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).refreshPolicy(Fixture.policy().jitter(0).build())
        .retryConfig(io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(5)
            .waitDuration(Duration.ofSeconds(20)).build()).build()) {
      c.start();
      Credential current = c.get();
      backend.failAlways(io.github.rotate4j.FailureKind.TRANSIENT);
      f.advance(Duration.ofMinutes(5));
      assertThat(backend.fetchCount()).isEqualTo(2);
      c.reportRejected(current);
      assertThat(backend.fetchCount()).as("the rejection ran the waiting retry").isEqualTo(3);
      c.reportRejected(current);
      c.reportRejected(current);
      assertThat(backend.fetchCount()).as("at most one forced attempt per second").isEqualTo(3);
      f.advance(Duration.ofSeconds(1));
      c.reportRejected(current);
      assertThat(backend.fetchCount()).isEqualTo(4);
    }
  }
}
