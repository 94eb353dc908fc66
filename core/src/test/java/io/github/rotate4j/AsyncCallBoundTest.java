package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.AsyncInMemoryCredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-backend bound on outstanding asynchronous calls ({@code rotate4j.io.maxAsyncCallsPerBackend}). */
class AsyncCallBoundTest {

  @Test
  void permits_runStartsUpToTheLimit_andHandTheNextOneOverOnRelease() {
    Threads.Permits permits = new Threads.Permits(2);
    List<String> ran = new ArrayList<>();
    permits.acquire(() -> ran.add("a"));
    permits.acquire(() -> ran.add("b"));
    permits.acquire(() -> ran.add("c"));
    assertThat(ran).containsExactly("a", "b");
    assertThat(permits.held()).isEqualTo(2);
    assertThat(permits.waiting()).isEqualTo(1);

    permits.release(); // a's call ended: c takes its permit, on this thread
    assertThat(ran).containsExactly("a", "b", "c");
    assertThat(permits.held()).isEqualTo(2);
    assertThat(permits.waiting()).isZero();
    permits.release();
    permits.release();
    assertThat(permits.held()).isZero();
  }

  @Test
  void permits_startsThatGiveTheirPermitBackAtOnce_doNotRecurse() {
    Threads.Permits permits = new Threads.Permits(1);
    AtomicInteger ran = new AtomicInteger();
    permits.acquire(ran::incrementAndGet);
    int waiting = 100_000; // deep enough to overflow the stack if each release ran the next start recursively
    for (int i = 0; i < waiting; i++) {
      permits.acquire(() -> {
        ran.incrementAndGet();
        permits.release(); // as when the I/O executor refuses the call
      });
    }
    permits.release();
    assertThat(ran).hasValue(waiting + 1);
    assertThat(permits.held()).isZero();
    assertThat(permits.waiting()).isZero();
  }

  @Test
  void permits_refuseALimitBelowOne() {
    assertThatThrownBy(() -> new Threads.Permits(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be at least 1, but was 0");
  }

  @Test
  void settings_readTheAsyncBound_withItsDefault_andNameABadValue() {
    assertThat(EngineContext.IoSettings.fromSystemProperties().maxAsyncCallsPerBackend())
        .isEqualTo(EngineContext.IoSettings.DEFAULT_MAX_ASYNC_CALLS_PER_BACKEND).isEqualTo(1_000);
    String property = EngineContext.IoSettings.MAX_ASYNC_CALLS_PER_BACKEND;
    assertThat(property).isEqualTo("rotate4j.io.maxAsyncCallsPerBackend");
    System.setProperty(property, "0");
    try {
      assertThatThrownBy(EngineContext.IoSettings::fromSystemProperties).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("rotate4j.io.maxAsyncCallsPerBackend must be at least 1, but was 0");
      System.setProperty(property, "5000");
      assertThat(EngineContext.IoSettings.fromSystemProperties().maxAsyncCallsPerBackend()).isEqualTo(5000);
    } finally {
      System.clearProperty(property);
    }
  }

  @Test
  void contexts_onTheDefaultThreads_shareOneBoundPerBackend_aCallersExecutorHasNone() {
    EngineContext.SharedThreads shared = new EngineContext.SharedThreads(() -> new EngineContext.IoSettings(4, 2, 3, false));
    try (EngineContext a = new EngineContext(null, null, null, null, shared);
        EngineContext b = new EngineContext(null, null, null, null, shared);
        EngineContext own = new EngineContext(null, null, Runnable::run, Runnable::run, shared)) {
      Threads.Permits permits = a.asyncCallsFor("aws@eu-west-1");
      assertThat(b.asyncCallsFor("aws@eu-west-1")).isSameAs(permits);
      assertThat(a.asyncCallsFor("vault@x")).isNotSameAs(permits);
      AtomicInteger started = new AtomicInteger();
      for (int i = 0; i < 5; i++) {
        permits.acquire(started::incrementAndGet);
      }
      assertThat(started).hasValue(3);

      Threads.Permits unbounded = own.asyncCallsFor("aws@eu-west-1");
      AtomicInteger ownStarted = new AtomicInteger();
      for (int i = 0; i < 10_000; i++) {
        unbounded.acquire(ownStarted::incrementAndGet);
      }
      assertThat(ownStarted).hasValue(10_000);
    }
  }

  @Test
  void credentialsOnTheDefaultThreads_haveAtMostTheBoundOutstanding_andTheRestFollowAsCallsEnd() throws Exception {
    ManualTime time = ManualTime.create();
    EngineContext.SharedThreads shared = new EngineContext.SharedThreads(() -> new EngineContext.IoSettings(4, 2, 3, false));
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().clock(time.clock()).initialValue("k").build();
    AsyncInMemoryCredentialProvider provider =
        AsyncInMemoryCredentialProvider.over(backend, time.scheduler(), Duration.ofMillis(50));
    List<CompletableFuture<RotatingCredential>> starts = new ArrayList<>();
    List<RotatingCredential> credentials = new ArrayList<>();
    try (EngineContext context = new EngineContext(time.clock(), time.scheduler(), null, Runnable::run, shared)) {
      for (int i = 0; i < 7; i++) {
        RotatingCredential c = new RotatingCredentialBuilder("c" + i, provider).random(new java.util.Random(i)).buildIn(context);
        credentials.add(c);
        starts.add(c.startAsync());
      }
      Threads.Permits permits = context.asyncCallsFor(provider.backendId());
      assertThat(permits.held()).isEqualTo(3);
      assertThat(permits.waiting()).isEqualTo(4);
      assertThat(provider.awaitStarts(3, Duration.ofSeconds(10))).isTrue();
      assertThat(provider.outstandingCalls()).as("three outstanding, although four I/O threads are free").isEqualTo(3);

      time.advance(Duration.ofMillis(50)); // three answer; the next three start as their permits come back
      assertThat(provider.awaitStarts(6, Duration.ofSeconds(10))).isTrue();
      time.advance(Duration.ofMillis(50));
      assertThat(provider.awaitStarts(7, Duration.ofSeconds(10))).isTrue();
      time.advance(Duration.ofMillis(50));
      for (CompletableFuture<RotatingCredential> s : starts) {
        assertThat(s.get(10, TimeUnit.SECONDS).get().secretString()).isEqualTo("k");
      }
      assertThat(provider.maxOutstandingCalls()).isEqualTo(3);
      assertThat(provider.startCount()).isEqualTo(7);
    } finally {
      credentials.forEach(RotatingCredential::close);
    }
  }
}
