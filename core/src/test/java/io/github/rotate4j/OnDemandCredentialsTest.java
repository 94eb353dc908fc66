package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Manual time drives both the credentials and Caffeine (its ticker and its timer). */
class OnDemandCredentialsTest {

  private final ManualTime time = ManualTime.create();
  private final Map<String, InMemoryCredentialProvider> backends = new ConcurrentHashMap<>();
  private final AtomicInteger created = new AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  /** Each name gets its own backend handing out 10-minute leases. */
  private InMemoryCredentialProvider backendFor(String name) {
    created.incrementAndGet();
    return backends.computeIfAbsent(name, n -> InMemoryCredentialProvider.builder()
        .clock(time.clock()).path("database/creds/" + n).initialValue("pw-" + n)
        .leases(Duration.ofMinutes(10), Duration.ofHours(1), true).announceMaxTtl(false).build());
  }

  private OnDemandCredentials.Builder builder() {
    return OnDemandCredentials.builder(this::backendFor)
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor());
  }

  private OnDemandCredentials build(Consumer<OnDemandCredentials.Builder> settings) {
    OnDemandCredentials.Builder b = builder();
    settings.accept(b);
    OnDemandCredentials c = b.build();
    toClose.add(c);
    return c;
  }

  private static boolean isClosed(RotatingCredential c) {
    try {
      c.get();
      return false;
    } catch (CredentialUnavailableException e) {
      return e.getMessage().contains("closed");
    }
  }

  @Test
  void get_createsAndStartsTheCredentialOnFirstAccess_andReturnsTheSameOneAfter() {
    OnDemandCredentials secrets = build(b -> {});
    assertThat(secrets.getIfPresent("db")).isEmpty();
    assertThat(created).hasValue(0);

    RotatingCredential db = secrets.get("db");

    assertThat(db.name()).isEqualTo("db");
    assertThat(db.get().secretString()).isEqualTo("pw-db");
    assertThat(db.status().state()).isEqualTo(CredentialState.UP);
    assertThat(secrets.get("db")).isSameAs(db);
    assertThat(secrets.getIfPresent("db")).containsSame(db);
    assertThat(created).hasValue(1);
    assertThat(backends.get("db").fetchCount()).isEqualTo(1);
    assertThat(secrets.names()).containsExactly("db");
  }

  @Test
  void concurrentFirstAccess_createsAndStartsOneCredential() throws Exception {
    // real I/O threads here: the first fetch is held while every caller asks for the same name
    ExecutorService io = Executors.newFixedThreadPool(2);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
          .clock(time.clock()).path("secret/shared").initialValue("k1").build();
      backend.hold();
      AtomicInteger factoryCalls = new AtomicInteger();
      OnDemandCredentials secrets = OnDemandCredentials.builder(name -> {
            factoryCalls.incrementAndGet();
            return backend;
          })
          .clock(time.clock()).scheduler(time.scheduler()).ioExecutor(io)
          .eventExecutor(ManualTime.directExecutor()).build();
      toClose.add(secrets);
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<RotatingCredential>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return secrets.get("shared");
        }, callers));
      }
      go.countDown();
      assertThat(backend.awaitCall(Duration.ofSeconds(10))).isTrue();
      backend.release();

      List<RotatingCredential> got = new ArrayList<>();
      for (CompletableFuture<RotatingCredential> r : results) {
        got.add(r.get(10, TimeUnit.SECONDS));
      }
      assertThat(got).allSatisfy(c -> assertThat(c).isSameAs(got.get(0)));
      assertThat(factoryCalls).hasValue(1);
      assertThat(backend.fetchCount()).isEqualTo(1);
    } finally {
      callers.shutdownNow();
      io.shutdownNow();
    }
  }

  @Test
  void sizeBound_evictsAndClosesACredential_andRevokesItsLease() {
    OnDemandCredentials secrets = build(b -> b.maximumSize(2));
    List<RotatingCredential> all = List.of(secrets.get("a"), secrets.get("b"), secrets.get("c"));
    time.runDueTasks();

    assertThat(secrets.names()).hasSize(2);
    List<RotatingCredential> closed = all.stream().filter(OnDemandCredentialsTest::isClosed).toList();
    assertThat(closed).hasSize(1);
    String evicted = closed.get(0).name();
    assertThat(secrets.names()).doesNotContain(evicted);
    assertThat(backends.get(evicted).revokedLeases()).hasSize(1);
    all.stream().filter(c -> !c.name().equals(evicted))
        .forEach(c -> assertThat(backends.get(c.name()).revokedLeases()).isEmpty());
  }

  @Test
  void idleCredential_isEvictedOnTime_withoutAnotherCall_andClosed() {
    OnDemandCredentials secrets = build(b -> b.expireAfterIdle(Duration.ofMinutes(10)));
    RotatingCredential db = secrets.get("db");
    RotatingCredential api = secrets.get("api");

    time.advance(Duration.ofMinutes(8));
    assertThat(secrets.get("db")).isSameAs(db); // an access restarts db's idle time
    time.advance(Duration.ofMinutes(4));

    assertThat(isClosed(api)).isTrue();
    assertThat(backends.get("api").revokedLeases()).hasSize(1);
    assertThat(isClosed(db)).isFalse();
    assertThat(secrets.names()).containsExactly("db");

    time.advance(Duration.ofMinutes(10));
    assertThat(isClosed(db)).isTrue();
    assertThat(secrets.names()).isEmpty();

    RotatingCredential again = secrets.get("db");
    assertThat(again).isNotSameAs(db);
    assertThat(again.status().state()).isEqualTo(CredentialState.UP);
  }

  @Test
  void invalidate_closesTheCredential() {
    OnDemandCredentials secrets = build(b -> {});
    RotatingCredential db = secrets.get("db");

    secrets.invalidate("db");

    assertThat(isClosed(db)).isTrue();
    assertThat(backends.get("db").revokedLeases()).hasSize(1);
    assertThat(secrets.getIfPresent("db")).isEmpty();
  }

  @Test
  void close_closesEveryCredential_andRefusesLaterCalls() {
    OnDemandCredentials secrets = build(b -> {});
    RotatingCredential a = secrets.get("a");
    RotatingCredential b = secrets.get("b");

    secrets.close();
    secrets.close(); // idempotent

    assertThat(isClosed(a)).isTrue();
    assertThat(isClosed(b)).isTrue();
    assertThat(backends.get("a").revokedLeases()).hasSize(1);
    assertThat(backends.get("b").revokedLeases()).hasSize(1);
    assertThat(time.pendingTaskTimes()).as("nothing left scheduled").isEmpty();
    assertThatThrownBy(() -> secrets.get("c")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void failedStart_isNotKept_andTheNextCallTriesAgain() {
    OnDemandCredentials secrets = build(b -> b.customizer((name, c) ->
        c.retryConfig(io.github.resilience4j.retry.RetryConfig.custom().maxAttempts(1).build())));
    backendFor("db").failNext(1, FailureKind.PERMANENT);

    assertThatThrownBy(() -> secrets.get("db")).isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("db");
    assertThat(secrets.names()).isEmpty();

    RotatingCredential db = secrets.get("db");
    assertThat(db.status().state()).isEqualTo(CredentialState.UP);
  }

  @Test
  void customizer_getsEveryCredentialsName() {
    List<String> customized = new ArrayList<>();
    OnDemandCredentials secrets = build(b -> b.customizer((name, c) -> customized.add(name)));
    secrets.get("x");
    secrets.get("y");
    secrets.get("x");
    assertThat(customized).containsExactly("x", "y");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -5})
  void maximumSize_mustBePositive(long size) {
    assertThatThrownBy(() -> builder().maximumSize(size)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximumSize must be at least 1, but was " + size);
  }

  @Test
  void expireAfterIdle_mustBePositive() {
    assertThatThrownBy(() -> builder().expireAfterIdle(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("expireAfterIdle must be positive, but was PT-1S");
  }

  @Test
  void settings_canBeMadeOnce() {
    assertThatThrownBy(() -> builder().maximumSize(5).maximumSize(6))
        .isInstanceOf(IllegalStateException.class).hasMessage("maximumSize was already set to 5");
  }

  @Test
  void missingCaffeine_isExplained() {
    assertThatThrownBy(() -> OnDemandCredentials.requireCaffeine("com.example.NoSuchCaffeine"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("com.github.ben-manes.caffeine:caffeine");
  }
}
