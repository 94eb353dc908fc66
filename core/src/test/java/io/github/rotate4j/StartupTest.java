package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class StartupTest {

  private final Fixture f = new Fixture();

  @Test
  void start_fetchesFirstCredentialSynchronously() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThat(c.get().secretString()).isEqualTo("key-1");
      assertThat(c.get().version()).isEqualTo("1");
      assertThat(backend.fetchCount()).isEqualTo(1);
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
      assertThat(c.status().lastSuccess()).contains(f.time.now());
      assertThat(f.events(CredentialCreated.class)).extracting(CredentialCreated::version).containsExactly("1");
    }
  }

  @Test
  void get_beforeStart_failsWithClearMessage() {
    try (RotatingCredential c = f.builder(f.staticBackend("key-1")).build()) {
      assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class)
          .hasMessageContaining("api-key").hasMessageContaining("not started");
    }
  }

  @Test
  void start_permanentFailure_failsAtOnceNamingCredentialBackendPathAndCause() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.PERMANENT);
    RotatingCredential c = f.builder(backend).build();
    assertThatThrownBy(c::start)
        .isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("credential 'api-key'")
        .hasMessageContaining("in-memory")
        .hasMessageContaining("secret/app/api-key")
        .hasMessageContaining("simulated permanent failure")
        .hasCauseInstanceOf(PermanentBackendException.class);
    assertThat(backend.fetchCount()).as("permanent errors are not retried").isEqualTo(1);
    assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("closed");
  }

  @Test
  void start_retriesTransientFailuresOnTheSchedulerThenSucceeds() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failNext(2, FailureKind.TRANSIENT);
    RotatingCredential c = f.builder(backend).build();
    CompletableFuture<RotatingCredential> started = c.startAsync();
    assertThat(started).isNotDone();
    assertThat(backend.fetchCount()).isEqualTo(1);
    f.advance(Duration.ofMillis(400));
    assertThat(backend.fetchCount()).as("first backoff is 1 s ± 50%").isEqualTo(1);
    f.advance(Duration.ofSeconds(5));
    assertThat(started).isCompleted();
    assertThat(backend.fetchCount()).isEqualTo(3);
    assertThat(c.get().secretString()).isEqualTo("key-1");
    c.close();
  }

  @Test
  void start_retriesTransientFailuresUntilItsTimeout_beyondMaxAttempts() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.TRANSIENT);
    RotatingCredential c = f.builder(backend).build();
    CompletableFuture<RotatingCredential> started = c.startAsync();
    f.advance(RefreshPolicy.DEFAULT_STARTUP_TIMEOUT.minusSeconds(1));
    assertThat(started).isNotDone();
    assertThat(backend.fetchCount()).isGreaterThan(RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG.getMaxAttempts());
    f.advance(Duration.ofSeconds(1));
    assertThat(started).isCompletedExceptionally();
    assertThatThrownBy(started::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("simulated transient failure");
    int calls = backend.fetchCount();
    f.advance(Duration.ofMinutes(10));
    assertThat(backend.fetchCount()).as("a failed start stops all work").isEqualTo(calls);
  }

  @Test
  void start_permanentFailure_failsAtOnce() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.PERMANENT);
    CompletableFuture<RotatingCredential> started = f.builder(backend).build().startAsync();
    assertThat(started).isCompletedExceptionally();
    assertThat(backend.fetchCount()).isEqualTo(1);
  }

  @Test
  void start_failsAfterStartupTimeout() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.TRANSIENT);
    RotatingCredential c = f.builder(backend)
        .refreshPolicy(Fixture.policy().startupTimeout(Duration.ofSeconds(3)).build())
        .retryConfig(RetryConfig.custom().maxAttempts(10).waitDuration(Duration.ofSeconds(2)).build())
        .build();
    CompletableFuture<RotatingCredential> started = c.startAsync();
    f.advance(Duration.ofSeconds(2));
    assertThat(started).isNotDone();
    f.advance(Duration.ofSeconds(1));
    assertThat(started).isCompletedExceptionally();
    assertThatThrownBy(started::get).cause().isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("start-up timeout of 3.00 s")
        .hasMessageContaining("last failure: fetch failed (simulated transient failure)");
    assertThat(backend.fetchCount()).isEqualTo(2);
  }

  @Test
  void lazyStart_servesNothingUntilTheFirstFetchSucceeds() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.PERMANENT);
    RotatingCredential c = f.builder(backend).lazyStart(true)
        .refreshPolicy(Fixture.policy().recoveryInterval(Duration.ofSeconds(10)).jitter(0).build()).build();
    c.start();
    assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class)
        .hasMessageContaining("no credential fetched yet")
        .hasMessageContaining("simulated permanent failure");
    assertThat(c.status().state()).isEqualTo(CredentialState.DOWN);
    backend.recover();
    f.advance(Duration.ofSeconds(10));
    assertThat(c.get().secretString()).isEqualTo("key-1");
    assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    c.close();
  }

  @Test
  void start_twice_isRefused() {
    try (RotatingCredential c = f.builder(f.staticBackend("key-1")).build()) {
      c.start();
      assertThatThrownBy(c::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
    }
  }
}
