package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.internal.EventDispatcher;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What most credentials never use is created on first use and released on close, so that a registry
 * of thousands stays small: match counters, the record of issued leases, listener queues.
 */
class FootprintTest {

  private final Fixture f = new Fixture();

  /** A credential without listeners, as most credentials of a registry are. */
  private RefreshingCredential bare(InMemoryCredentialProvider backend) {
    return (RefreshingCredential) RotatingCredential.builder("api-key", backend)
        .clock(f.time.clock())
        .scheduler(f.time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor())
        .random(new Random(7))
        .build();
  }

  @Test
  void matchCounters_appearWithTheFirstMatchingVerify() {
    try (RefreshingCredential c = bare(f.staticBackend("key-1"))) {
      c.start();
      assertThat(c.hasMatchCounters()).as("never verified: no counters").isFalse();
      assertThat(c.matchCounts()).isEmpty();
      assertThat(c.matchCountsBySlot()).as("every slot present, zero included")
          .containsExactlyInAnyOrderEntriesOf(Map.of(KeySlot.CURRENT, 0L, KeySlot.PENDING, 0L, KeySlot.PREVIOUS, 0L));

      assertThat(c.verify("not-the-key")).isEmpty();
      assertThat(c.hasMatchCounters()).as("a key that matches nothing counts nothing").isFalse();

      assertThat(c.verify("key-1")).isPresent();
      assertThat(c.verify("key-1")).isPresent();
      assertThat(c.hasMatchCounters()).isTrue();
      assertThat(c.matchCounts()).containsExactly(Map.entry(c.get().version(), 2L));
      assertThat(c.matchCountsBySlot()).containsEntry(KeySlot.CURRENT, 2L).containsEntry(KeySlot.PREVIOUS, 0L);
    }
  }

  @Test
  void firstVerifiesRacing_countEveryMatch() throws Exception {
    int threads = 8;
    int perThread = 2_000;
    try (RefreshingCredential c = bare(f.staticBackend("key-1"))) {
      c.start();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(pool.submit(() -> {
            go.await();
            for (int i = 0; i < perThread; i++) {
              c.verify("key-1");
            }
            return null;
          }));
        }
        go.countDown();
        for (Future<?> d : done) {
          d.get();
        }
      } finally {
        pool.shutdown();
      }
      long total = (long) threads * perThread;
      assertThat(c.matchCounts()).as("concurrent first matches share one set of counters")
          .containsExactly(Map.entry(c.get().version(), total));
      assertThat(c.matchCountsBySlot()).containsEntry(KeySlot.CURRENT, total);
    }
  }

  @Test
  void close_forgetsCountsByVersion_keepsTheMonotonicTotalsBySlot() {
    RefreshingCredential c = bare(f.staticBackend("key-1"));
    c.start();
    c.verify("key-1");
    c.close();
    assertThat(c.matchCounts()).isEmpty();
    assertThat(c.matchCountsBySlot()).containsEntry(KeySlot.CURRENT, 1L);
  }

  @Test
  void lastSuccess_keepsTheExactInstant_andIsEmptyBeforeTheFirst() {
    f.advance(Duration.ofNanos(123_456_789)); // an instant with nanoseconds
    try (RefreshingCredential c = bare(f.staticBackend("key-1"))) {
      assertThat(c.status().lastSuccess()).isEmpty();
      c.start();
      assertThat(c.status().lastSuccess()).contains(f.time.now());
      f.advance(Duration.ofMinutes(7).plusNanos(1)); // past the first poll
      assertThat(c.status().lastSuccess().orElseThrow()).isAfter(f.time.now().minus(Duration.ofMinutes(7)));
    }
  }

  @Test
  void aStaticSecret_tracksNoLeases_evenAfterADayOfPolls() {
    try (RefreshingCredential c = bare(f.staticBackend("key-1"))) {
      c.start();
      f.advance(Duration.ofHours(24));
      assertThat(c.status().successfulRefreshes()).isGreaterThan(1);
      assertThat(c.tracksAnyLease()).isFalse();
      assertThat(c.trackedLeases()).isZero();
    }
  }

  @Test
  void leases_areTrackedFromTheFirst_replacedOnRenewal_andReleasedOnClose() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofHours(1), true).build();
    RefreshingCredential c = bare(backend);
    c.start();
    assertThat(c.tracksAnyLease()).isTrue();
    assertThat(c.trackedLeases()).isEqualTo(1);
    f.advance(Duration.ofMinutes(9)); // renewed at least once by now
    assertThat(c.status().successfulRefreshes()).isGreaterThan(1);
    assertThat(c.trackedLeases()).as("a renewal replaces its lease's entry").isEqualTo(1);
    c.close();
    assertThat(c.tracksAnyLease()).isFalse();
    assertThat(backend.revokedLeases()).as("the tracked lease was revoked on close").hasSize(1);
  }

  @Test
  void replacedLeases_stayTrackedUntilTheyExpire_thenAreForgotten() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
    try (RefreshingCredential c = bare(backend)) {
      c.start();
      int most = 0;
      for (int step = 0; step < 6 * 45; step++) { // 45 minutes: several replacements
        f.advance(Duration.ofSeconds(10));
        most = Math.max(most, c.trackedLeases());
        assertThat(c.trackedLeases()).as("the current lease is always tracked").isPositive();
      }
      assertThat(backend.fetchCount()).isGreaterThan(3);
      assertThat(most).as("a replaced lease is tracked until its end, which comes before the next replacement")
          .isEqualTo(2);
    }
  }

  @Test
  void aCredentialWithoutListeners_holdsNoDispatcher_untilOneIsAdded() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RefreshingCredential c = bare(backend)) {
      c.start();
      backend.rotate("key-2");
      c.refreshNow().join();
      assertThat(c.hasOwnEventDispatcher()).isFalse();

      List<CredentialEvent> seen = new ArrayList<>();
      c.addListener(CredentialListener.forEvery(seen::add));
      assertThat(c.hasOwnEventDispatcher()).isTrue();
      backend.rotate("key-3");
      f.advance(Duration.ofSeconds(2)); // past the one-per-second limit on forced refreshes
      c.refreshNow().join();
      assertThat(seen).singleElement().isInstanceOf(CredentialRotated.class);
    }
    try (RotatingCredential withListener = f.builder(f.staticBackend("key-1")).build()) {
      assertThat(((RefreshingCredential) withListener).hasOwnEventDispatcher()).isTrue();
      withListener.start();
      assertThat(f.events(CredentialCreated.class)).hasSize(1);
    }
  }

  @Test
  void aListenersQueue_existsOnlyWhileEventsWaitForIt() {
    List<Runnable> parked = new ArrayList<>();
    List<Integer> seen = new ArrayList<>();
    EventDispatcher<Integer> dispatcher = new EventDispatcher<>(parked::add, 8, "test");
    dispatcher.dispatch(0); // nobody listens: nothing is queued, nothing submitted
    assertThat(parked).isEmpty();
    dispatcher.subscribe("listener", seen::add);
    assertThat(dispatcher.listeners()).isEqualTo(1);
    assertThat(dispatcher.listenersWithQueue()).isZero();

    dispatcher.dispatch(1);
    dispatcher.dispatch(2);
    assertThat(dispatcher.listenersWithQueue()).isEqualTo(1);
    parked.remove(0).run();
    assertThat(seen).containsExactly(1, 2);
    assertThat(dispatcher.listenersWithQueue()).as("drained: the queue is released").isZero();

    dispatcher.dispatch(3);
    parked.remove(0).run();
    assertThat(seen).containsExactly(1, 2, 3);
    assertThat(parked).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 5})
  void smallMaps_keepTheirOrder_refuseChanges_andAnswerNullLookups(int size) {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = size; i > 0; i--) {
      given.put("k" + i, "v" + i); // not in hash or alphabetical order
    }
    Credential.Builder b = Credential.builder("1").value(SecretValue.ofString("s")).issuedAt(f.time.now());
    given.forEach(b::metadata);
    List<Map<String, String>> maps = List.of(b.build().metadata(), ((SecretValue.KeyValue) SecretValue.ofMap(given)).value(),
        ((SecretValue.UsernamePassword) SecretValue.ofUsernamePassword("u", "p", given)).attributes());
    for (Map<String, String> m : maps) {
      assertThat(m).containsExactlyEntriesOf(given);
      assertThat(new ArrayList<>(m.keySet())).isEqualTo(new ArrayList<>(given.keySet()));
      assertThat(m.containsKey(null)).isFalse();
      assertThat(m.get(null)).isNull();
      assertThatThrownBy(() -> m.put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }
    given.put("later", "change");
    assertThat(maps).allSatisfy(m -> assertThat(m).doesNotContainKey("later"));
  }

  @Test
  void aRefusingExecutor_dropsTheWaitingEvents_andReleasesTheQueue() {
    EventDispatcher<Integer> dispatcher = new EventDispatcher<>(task -> {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }, 8, "test");
    List<Integer> seen = new ArrayList<>();
    dispatcher.subscribe("listener", seen::add);
    dispatcher.dispatch(1);
    assertThat(seen).isEmpty();
    assertThat(dispatcher.listenersWithQueue()).isZero();
  }
}
