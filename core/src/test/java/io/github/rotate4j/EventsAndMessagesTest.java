package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.event.CredentialOverdue;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.internal.EventDispatcher;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Overdue reporting, content changes, messages that name backend and path, match counts, lagging listeners. */
class EventsAndMessagesTest {

  private final Fixture f = new Fixture();

  @Test
  void overdue_isReportedAgain_whenAPostponedRotationIsMissedAgain() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.nextRotation(f.time.now().plus(Duration.ofMinutes(10)));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      f.advance(Duration.ofMinutes(11));
      assertThat(f.events(CredentialOverdue.class)).hasSize(1);
      backend.nextRotation(f.time.now().plus(Duration.ofMinutes(20))); // postponed, same version
      f.advance(Duration.ofMinutes(30));
      assertThat(f.events(CredentialOverdue.class)).as("missed again").hasSize(2)
          .extracting(CredentialOverdue::version).containsOnly(c.get().version());
    }
  }

  @Test
  void sameVersionWithNewContent_isPublishedAsARotation() {
    Map<String, String> fields = new java.util.HashMap<>(Map.of("v", "1"));
    io.github.rotate4j.spi.CredentialProvider provider = new io.github.rotate4j.spi.CredentialProvider() {
      @Override
      public String backend() {
        return "test";
      }

      @Override
      public String path() {
        return "secret/same";
      }

      @Override
      public io.github.rotate4j.spi.FetchResult fetch(io.github.rotate4j.spi.FetchContext context) {
        return io.github.rotate4j.spi.FetchResult.of(Credential.builder("7").value(SecretValue.ofString(fields.get("v")))
            .issuedAt(ManualTimeStart.AT).build());
      }
    };
    try (RotatingCredential c = f.builder(provider).build()) {
      c.start();
      fields.put("v", "2");
      c.refreshNow().join();
      assertThat(c.get().secretString()).isEqualTo("2");
      assertThat(f.events(CredentialRotated.class)).singleElement()
          .satisfies(e -> assertThat(e.newVersion()).isEqualTo("7"));
    }
  }

  private static final class ManualTimeStart {
    static final java.time.Instant AT = io.github.rotate4j.testing.ManualTime.DEFAULT_START;
  }

  @Test
  void failureMessages_nameBackendAndPath_everywhere() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.failAlways(FailureKind.TRANSIENT);
      java.util.concurrent.CompletableFuture<Credential> refresh = c.refreshNow();
      f.advance(Duration.ofMinutes(1)); // its retries run
      assertThat(refresh).isCompletedExceptionally();
      assertThat(f.events(RefreshFailed.class)).isNotEmpty()
          .allSatisfy(e -> assertThat(e.message()).contains("in-memory").contains("secret/app/api-key"));
      assertThat(c.status().lastFailure()).hasValueSatisfying(x ->
          assertThat(x.message()).contains("in-memory").contains("secret/app/api-key"));
    }
  }

  @Test
  void lazyStart_withTheBackendDown_reportsTheLastFailure() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.PERMANENT);
    try (RotatingCredential c = f.builder(backend).lazyStart(true).build()) {
      c.start();
      assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class)
          .hasMessageContaining("no credential fetched yet").hasMessageContaining("simulated permanent failure");
    }
  }

  @Test
  void verify_onAKeyValueSecretWithSeveralFields_namesTheKeyFieldSetting() {
    InMemoryCredentialProvider backend = f.backend().build();
    backend.rotate(SecretValue.ofMap(Map.of("user", "u", "key", "k")));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThatThrownBy(() -> c.verify("k")).isInstanceOf(IllegalStateException.class).hasMessageContaining("keyField");
    }
  }

  @Test
  void start_failsWhenTheKeyFieldSettingNamesNoField() {
    InMemoryCredentialProvider backend = f.backend().initialValue(SecretValue.ofMap(Map.of("user", "u", "key", "k"))).build();
    RotatingCredential c = f.builder(backend).keyField("apiKey").build();
    assertThatThrownBy(c::start).isInstanceOf(CredentialStartupException.class)
        .hasMessageContaining("keyField").hasMessageContaining("apiKey").hasMessageNotContaining("\"k\"");
    try (RotatingCredential d = f.builder(backend).keyField("key").build()) {
      d.start();
      assertThat(d.verify("k")).isPresent();
    }
  }

  @Test
  void matchCounts_keepTheRingAndTheLastFewRetiredVersions_notEveryVersionEver() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).refreshPolicy(Fixture.policy().gracePeriod(Duration.ofMinutes(1)).build()).build()) {
      c.start();
      String v1 = c.get().version();
      c.verify("key-1");
      for (int i = 2; i < 12; i++) {
        backend.rotate("key-" + i);
        c.refreshNow().join();
        c.verify("key-" + i);
        f.advance(Duration.ofMinutes(2));
      }
      assertThat(c.matchCounts()).doesNotContainKey(v1)
          .hasSizeLessThanOrEqualTo(c.keyRing().entries().size() + RefreshingCredential.RETIRED_MATCH_COUNTS)
          .containsKey(c.get().version());
      assertThat(c.matchCountsBySlot().get(KeySlot.CURRENT)).as("counts by slot stay monotonic").isEqualTo(11);
    }
  }

  @Test
  void aLaggingListener_dropsItsOldestEvents_andNeverDelaysAnother() {
    List<Runnable> parked = new ArrayList<>();
    List<Integer> fast = new CopyOnWriteArrayList<>();
    List<Integer> slow = new CopyOnWriteArrayList<>();
    EventDispatcher<Integer> dispatcher = new EventDispatcher<>(parked::add, 4, "test");
    dispatcher.subscribe("fast", fast::add);
    dispatcher.subscribe("slow", slow::add);
    Runnable slowDrain = null;
    for (int i = 0; i < 10; i++) {
      dispatcher.dispatch(i);
      if (i == 0) {
        slowDrain = parked.remove(1); // the slow listener's drain task waits for a thread that is busy
      }
      parked.remove(0).run(); // the fast listener's drain runs on another thread
    }
    assertThat(parked).as("one drain task for the slow listener, however many events").isEmpty();
    assertThat(fast).as("the fast listener got everything, in order").containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    slowDrain.run();
    assertThat(slow).as("the oldest were dropped, the newest kept, in order").containsExactly(6, 7, 8, 9);
    assertThat(dispatcher.droppedEvents()).isEqualTo(6);
  }

  @Test
  void unsubscribedListener_losesWhatWaitsForIt_andGetsNothingMore_othersKeepTheirs() {
    List<Runnable> parked = new ArrayList<>();
    List<Integer> kept = new CopyOnWriteArrayList<>();
    List<Integer> removed = new CopyOnWriteArrayList<>();
    EventDispatcher<Integer> dispatcher = new EventDispatcher<>(parked::add, 16, "test");
    Object removedKey = new Object();
    dispatcher.subscribe("kept", kept::add);
    dispatcher.subscribe(removedKey, "removed", removed::add);
    dispatcher.dispatch(1);
    dispatcher.dispatch(2); // both wait: neither drain task has run

    assertThat(dispatcher.unsubscribe(new Object())).as("an unknown key").isFalse();
    assertThat(dispatcher.unsubscribe(removedKey)).isTrue();
    assertThat(dispatcher.unsubscribe(removedKey)).as("already gone").isFalse();
    dispatcher.dispatch(3);
    parked.forEach(Runnable::run);

    assertThat(kept).containsExactly(1, 2, 3);
    assertThat(removed).as("its waiting events were dropped with it").isEmpty();
    assertThat(dispatcher.listeners()).isEqualTo(1);
    assertThat(dispatcher.listenersWithQueue()).isZero();
  }
}
