package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.AsyncInMemoryCredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Providers that fetch asynchronously: no thread waits on the network, and every guarantee of blocking calls holds. */
class AsyncProviderTest {

  private static final Duration LATENCY = Duration.ofMillis(50);

  private final Fixture f = new Fixture();
  private final List<Runnable> parked = new ArrayList<>();

  private AsyncInMemoryCredentialProvider async(InMemoryCredentialProvider backend) {
    return AsyncInMemoryCredentialProvider.over(backend, f.time.scheduler(), LATENCY);
  }

  /** I/O tasks wait in {@link #parked} until the test runs them: shows when a thread would be held. */
  private RotatingCredentialBuilder parkedIo(io.github.rotate4j.spi.CredentialProvider provider) {
    return RotatingCredential.builder("api-key", provider)
        .clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(parked::add).eventExecutor(Runnable::run)
        .random(new java.util.Random(7))
        .listener(CredentialListener.forEvery(f.events::add));
  }

  private void runParked() {
    while (!parked.isEmpty()) {
      parked.remove(0).run();
    }
  }

  @Test
  void asyncFetch_holdsNoThreadWhileWaiting_andItsAnswerIsHandledOnTheIoExecutor() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    AsyncInMemoryCredentialProvider provider = async(backend);
    try (RotatingCredential c = parkedIo(provider).lazyStart(true).build()) {
      c.start();
      assertThat(parked).as("the call is started on the I/O executor, not on the caller").hasSize(1);
      parked.remove(0).run();
      assertThat(provider.startCount()).isEqualTo(1);
      assertThat(parked).as("the I/O task ended as soon as fetchAsync returned").isEmpty();
      assertThat(((RefreshingCredential) c).callOutstanding()).isTrue();

      f.advance(LATENCY);
      assertThat(parked).as("the answer comes back to the I/O executor").hasSize(1);
      assertThat(((RefreshingCredential) c).callOutstanding()).isTrue();
      parked.remove(0).run();
      assertThat(c.get().secretString()).isEqualTo("key-1");
      assertThat(((RefreshingCredential) c).callOutstanding()).isFalse();
      assertThat(c.status().lastSuccess()).contains(ManualTime0.plus(LATENCY));
    }
  }

  private static final Instant ManualTime0 = io.github.rotate4j.testing.ManualTime.DEFAULT_START;

  @Test
  void neverCompletingStage_timesOutTransiently_andTheNextAttemptWaitsForIt() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    AsyncInMemoryCredentialProvider provider = async(backend);
    provider.hold();
    try (RotatingCredential c = f.builder(provider).lazyStart(true).build()) {
      c.start();
      f.advance(Duration.ofMinutes(30));
      assertThat(provider.startCount()).as("one call, however many attempts timed out").isEqualTo(1);
      assertThat(f.events(RefreshFailed.class)).isNotEmpty().allSatisfy(e -> {
        assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(e.message()).contains("no answer within").contains("secret/app/api-key");
      });
      assertThat(((RefreshingCredential) c).callOutstanding()).isTrue();

      provider.release(); // the stage finally completes
      assertThat(c.get().secretString()).as("the late answer is used").isEqualTo("key-1");
      assertThat(((RefreshingCredential) c).callOutstanding()).isFalse();
      assertThat(provider.maxOutstandingCalls()).isEqualTo(1);
    }
  }

  @Test
  void answerAfterTheAttemptTimeout_isServed_andNoSecondCallIsMadeMeanwhile() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    AsyncInMemoryCredentialProvider provider = async(backend);
    provider.latency(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT.plusSeconds(5));
    try (RotatingCredential c = f.builder(provider).lazyStart(true).build()) {
      c.start();
      f.advance(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT);
      assertThat(f.events(RefreshFailed.class)).singleElement()
          .satisfies(e -> assertThat(e.message()).contains("no answer within 10.00 s"));
      assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class);

      f.advance(Duration.ofSeconds(5));
      assertThat(c.get().secretString()).isEqualTo("key-1");
      assertThat(provider.startCount()).isEqualTo(1);
      assertThat(backend.fetchCount()).isEqualTo(1);
    }
  }

  @Test
  void closeDuringAnAsyncFetch_revokesTheLeaseThatArrivesLate() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofHours(1), Duration.ofHours(24), true).build();
    AsyncInMemoryCredentialProvider provider = async(backend);
    RotatingCredential c = f.builder(provider).lazyStart(true).build();
    c.start();
    assertThat(provider.outstandingCalls()).isEqualTo(1);
    c.close();

    f.advance(LATENCY); // the backend issues the lease now, to a closed credential
    assertThat(backend.issuedLeases()).hasSize(1);
    assertThat(backend.revokedLeases()).as("issued after close, so revoked").isEqualTo(backend.issuedLeases());
    assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("closed");
  }

  @Test
  void onDemandRefreshes_whileAnAsyncCallIsOutstanding_makeNoSecondCall() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    AsyncInMemoryCredentialProvider provider = async(backend);
    try (RotatingCredential c = f.builder(provider).build()) {
      startOnManualTime(c);
      provider.hold();
      backend.rotate("key-2");
      List<CompletableFuture<Credential>> waiting = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        waiting.add(c.refreshNow());
        f.advance(Duration.ofSeconds(5)); // past the rate limit and the attempt timeout
      }
      assertThat(provider.startCount()).as("the start-up fetch and one refresh").isEqualTo(2);
      assertThat(provider.maxOutstandingCalls()).isEqualTo(1);

      provider.release();
      f.advance(Duration.ofMinutes(1));
      assertThat(c.get().secretString()).isEqualTo("key-2");
      assertThat(provider.maxOutstandingCalls()).isEqualTo(1);
      waiting.forEach(w -> assertThat(w.handle((v, e) -> e == null ? v.version() : "failed").join()).isNotNull());
    }
  }

  /** Starts a credential whose first fetch answers on manual time: start() blocks, so another thread calls it. */
  private void startOnManualTime(RotatingCredential c) {
    CompletableFuture<RotatingCredential> started = c.startAsync();
    f.advance(LATENCY);
    assertThat(started.orTimeout(10, TimeUnit.SECONDS).join()).isSameAs(c);
  }

  private static AsyncCredentialProvider misbehaving(Function<FetchContext, CompletionStage<FetchResult>> fetch) {
    return new AsyncCredentialProvider() {
      @Override
      public String backend() {
        return "async-test";
      }

      @Override
      public String path() {
        return "secret/app/api-key";
      }

      @Override
      public CompletionStage<FetchResult> fetchAsync(FetchContext context) {
        return fetch.apply(context);
      }
    };
  }

  @Test
  void fetchAsyncThatBlocks_holdsAnIoThreadNotTheCaller_isInterruptedAtTheTimeout_andLeavesNoInterrupt()
      throws Exception {
    ExecutorService io = Executors.newSingleThreadExecutor();
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Thread> caller = new java.util.concurrent.atomic.AtomicReference<>();
    AsyncCredentialProvider provider = misbehaving(context -> {
      caller.set(Thread.currentThread());
      entered.countDown();
      try {
        new java.util.concurrent.CountDownLatch(1).await(); // a client that blocks while connecting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TransientBackendException("async-test", "secret/app/api-key", "interrupted while connecting", e);
      }
      throw new AssertionError("not reached");
    });
    try (RotatingCredential c = RotatingCredential.builder("api-key", provider)
        .clock(f.time.clock()).scheduler(f.time.scheduler()).ioExecutor(io).eventExecutor(Runnable::run)
        .refreshPolicy(RefreshPolicy.custom().attemptTimeout(Duration.ofSeconds(1)).build())
        .listener(CredentialListener.forEvery(f.events::add))
        .lazyStart(true).build()) {
      c.start();
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(caller.get()).isNotSameAs(Thread.currentThread());

      f.advance(Duration.ofSeconds(1)); // the attempt timeout interrupts the blocked start
      assertThat(f.events(RefreshFailed.class)).first()
          .satisfies(e -> assertThat(e.message()).contains("no answer within 1.00 s"));
      boolean interruptLeft = io.submit(() -> Thread.currentThread().isInterrupted()).get(10, TimeUnit.SECONDS);
      assertThat(interruptLeft).as("the engine's interrupt is cleared from the I/O thread").isFalse();
      assertThat(((RefreshingCredential) c).callOutstanding()).as("the interrupted start ended the call").isFalse();
    } finally {
      io.shutdownNow();
      assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"throws", "null", "completes-with-null"})
  void fetchAsyncThatMisbehaves_failsStartUp_namingCredentialBackendAndPath(String misbehaviour) {
    AsyncCredentialProvider provider = misbehaving(context -> switch (misbehaviour) {
      case "throws" -> throw new IllegalStateException("client not configured");
      case "null" -> null;
      default -> CompletableFuture.completedFuture(null);
    });
    RotatingCredential c = f.builder(provider).build();
    assertThatThrownBy(c::start).isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("credential 'api-key'").hasMessageContaining("[async-test secret/app/api-key]")
        .hasMessageContaining(switch (misbehaviour) {
          case "throws" -> "IllegalStateException: client not configured";
          case "null" -> "provider returned no stage from fetchAsync";
          default -> "provider's fetchAsync completed with nothing";
        });
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void failedStage_keepsTheBackendExceptionKind_wrappedOrNot(boolean wrapped) {
    TransientBackendException down = new TransientBackendException("async-test", "secret/app/api-key", "503", null);
    AsyncCredentialProvider provider = misbehaving(context -> wrapped
        ? CompletableFuture.supplyAsync(() -> {
            throw down;
          }, Runnable::run)
        : CompletableFuture.failedFuture(down));
    try (RotatingCredential c = f.builder(provider).lazyStart(true).build()) {
      c.start();
      assertThat(f.events(RefreshFailed.class)).first().satisfies(e -> {
        assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(e.error()).isSameAs(down);
      });
    }
  }

  @Test
  void breakerAccounting_isAsForBlockingCalls_aTimedOutCallCountsOnce() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    AsyncInMemoryCredentialProvider provider = async(backend);
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("async-test");
    try (RotatingCredential c = f.builder(provider).circuitBreaker(breaker).build()) {
      startOnManualTime(c);
      assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("the start-up fetch").isEqualTo(1);
      provider.hold();
      CompletableFuture<Credential> refreshed = c.refreshNow();
      f.advance(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT);
      provider.release(); // the late answer is used, but counts no second time
      assertThat(refreshed.join().secretString()).isEqualTo("key-1");
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("the timeout").isEqualTo(1);
      assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);

      backend.failNext(1, FailureKind.TRANSIENT);
      f.advance(Duration.ofMinutes(10)); // the cycle's retries: one failure, then a success
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
      assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isPositive();
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @Test
  void renewableLease_isRenewedAsynchronously() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofHours(1), Duration.ofHours(24), true).build();
    AsyncInMemoryCredentialProvider provider = async(backend);
    try (RotatingCredential c = f.builder(provider).build()) {
      startOnManualTime(c);
      Instant firstEnd = c.get().expiresAt().orElseThrow();
      f.advance(Duration.ofMinutes(50));
      assertThat(backend.renewCount()).isPositive();
      assertThat(c.get().expiresAt().orElseThrow()).isAfter(firstEnd);
      assertThat(backend.issuedLeases()).hasSize(1);
    }
  }

  @Test
  void registry_ofManyAsyncCredentials_onOneIoThread_startsInOneLatency() throws Exception {
    int count = 1_000;
    ExecutorService io = Executors.newSingleThreadExecutor();
    List<AsyncInMemoryCredentialProvider> providers = new ArrayList<>();
    CredentialRegistry.Builder b = CredentialRegistry.builder().clock(f.time.clock()).scheduler(f.time.scheduler())
        .ioExecutor(io).eventExecutor(Runnable::run);
    for (int i = 0; i < count; i++) {
      AsyncInMemoryCredentialProvider p = async(f.backend().path("secret/app/" + i).initialValue("key-" + i).build());
      providers.add(p);
      b.register("credential-" + i, p);
    }
    AsyncInMemoryCredentialProvider counter = providers.get(count - 1);
    try (CredentialRegistry registry = b.build()) {
      CompletableFuture<CredentialRegistry> started = CompletableFuture.supplyAsync(registry::start);
      for (AsyncInMemoryCredentialProvider p : providers) {
        assertThat(p.awaitStarts(1, Duration.ofSeconds(10))).as("every fetch starts before any answer").isTrue();
      }
      assertThat(providers).allSatisfy(p -> assertThat(p.outstandingCalls()).isEqualTo(1));
      f.advance(LATENCY); // one latency, and every answer is in
      assertThat(started.get(10, TimeUnit.SECONDS)).isSameAs(registry);
      assertThat(registry.statuses().values()).allSatisfy(s -> {
        assertThat(s.state()).isEqualTo(CredentialState.UP);
        assertThat(s.lastSuccess()).contains(ManualTime0.plus(LATENCY));
      });
      assertThat(counter.startCount()).isEqualTo(1);
    } finally {
      io.shutdownNow();
      assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"transient", "permanent", "io"})
  void blockingFetchOfAnAsyncProvider_throwsTheFailureUnwrapped(String kind) {
    RuntimeException failure = switch (kind) {
      case "transient" -> new TransientBackendException("async-test", "p", "503", null);
      case "permanent" -> new PermanentBackendException("async-test", "p", "403", null);
      default -> new java.util.concurrent.CompletionException(new java.io.IOException("connection reset"));
    };
    AsyncCredentialProvider provider = misbehaving(context -> CompletableFuture.failedFuture(failure));
    FetchContext context = FetchContext.startup("api-key");
    switch (kind) {
      case "io" -> assertThatThrownBy(() -> provider.fetch(context)).isInstanceOf(TransientBackendException.class)
          .hasMessageContaining("credential 'api-key'").hasMessageContaining("[async-test secret/app/api-key]")
          .hasMessageContaining("connection reset");
      default -> assertThatThrownBy(() -> provider.fetch(context)).isSameAs(failure);
    }
  }

  @Test
  void blockingFetchOfAnAsyncProvider_returnsTheAnswer_andRefusesANullStage() {
    Credential key = Credential.builder("1").value(SecretValue.ofString("key-1")).issuedAt(ManualTime0).build();
    AsyncCredentialProvider answering = misbehaving(context -> CompletableFuture.completedFuture(FetchResult.of(key)));
    assertThat(answering.fetch(FetchContext.startup("api-key")).current()).isSameAs(key);
    assertThatThrownBy(() -> answering.renew(key, FetchContext.startup("api-key")))
        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("async-test");
    AsyncCredentialProvider nothing = misbehaving(context -> null);
    assertThatThrownBy(() -> nothing.fetch(FetchContext.startup("api-key")))
        .isInstanceOf(PermanentBackendException.class).hasMessageContaining("no stage from fetchAsync");
  }
}
