package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PollingTest {

  private final Fixture f = new Fixture();

  @Test
  void poll_isScheduledAtRefreshIntervalWithinJitterBounds() {
    Set<Instant> seen = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      Fixture g = new Fixture();
      try (RotatingCredential c = RotatingCredential.builder("k", g.staticBackend("v"))
          .clock(g.time.clock()).scheduler(g.time.scheduler())
          .ioExecutor(Runnable::run).eventExecutor(Runnable::run).random(new Random(seed)).build()) {
        c.start();
        Instant next = c.status().nextRefresh().orElseThrow();
        Instant start = g.time.now();
        // the first poll has a random phase over the whole interval (±10% jitter around it)
        assertThat(next).isBetween(start, start.plus(Duration.ofSeconds(330)));
        seen.add(next);
      }
    }
    assertThat(seen).as("jitter spreads polls").hasSizeGreaterThan(10);
  }

  @Test
  void poll_unchangedVersion_publishesNothing() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      Credential first = c.get();
      f.advance(Duration.ofMinutes(16));
      assertThat(backend.fetchCount()).as("three polls in 16 minutes").isEqualTo(4);
      assertThat(f.events(CredentialRotated.class)).isEmpty();
      assertThat(c.get().version()).isEqualTo(first.version());
      assertThat(c.keyRing().previous()).isEmpty();
    }
  }

  @Test
  void poll_detectsNewVersionAndPublishesRotation() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.rotate("key-2");
      assertThat(c.get().secretString()).as("nothing changes before the poll").isEqualTo("key-1");
      f.advance(Duration.ofMinutes(6));
      assertThat(c.get().secretString()).isEqualTo("key-2");
      assertThat(f.events(CredentialRotated.class)).singleElement()
          .satisfies(e -> {
            assertThat(e.previousVersion()).isEqualTo("1");
            assertThat(e.newVersion()).isEqualTo("2");
          });
      assertThat(c.keyRing().previous()).extracting(Credential::version).containsExactly("1");
      assertThat(c.status().rotations()).isEqualTo(1);
      assertThat(c.verify("key-1")).contains(new KeyMatch("1", KeySlot.PREVIOUS));
      assertThat(c.verify("key-2")).contains(new KeyMatch("2", KeySlot.CURRENT));
      assertThat(c.verify("key-2")).isPresent();
      assertThat(c.matchCounts()).containsEntry("1", 1L).containsEntry("2", 2L);
      assertThat(c.matchCountsBySlot()).containsEntry(KeySlot.CURRENT, 2L).containsEntry(KeySlot.PREVIOUS, 1L)
          .containsEntry(KeySlot.PENDING, 0L);
    }
  }

  @Test
  void poll_showsPendingVersionUntilPromoted() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.stage("key-2");
      f.advance(Duration.ofMinutes(6));
      assertThat(c.get().secretString()).isEqualTo("key-1");
      assertThat(c.keyRing().pending()).map(Credential::version).contains("2");
      assertThat(c.verify("key-2")).contains(new KeyMatch("2", KeySlot.PENDING));
      backend.promote();
      f.advance(Duration.ofMinutes(6));
      assertThat(c.get().secretString()).isEqualTo("key-2");
      assertThat(c.keyRing().pending()).isEmpty();
      assertThat(c.verify("key-1")).contains(new KeyMatch("1", KeySlot.PREVIOUS));
    }
  }

  @Test
  void overdue_isPublishedOncePerVersionWhenNextRotationPasses() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.nextRotation(f.time.now().plus(Duration.ofMinutes(7)));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      f.advance(Duration.ofMinutes(6));
      assertThat(f.events(io.github.rotate4j.event.CredentialOverdue.class)).isEmpty();
      f.advance(Duration.ofMinutes(1));
      assertThat(f.events(io.github.rotate4j.event.CredentialOverdue.class)).singleElement()
          .satisfies(e -> assertThat(e.version()).isEqualTo("1"));
      f.advance(Duration.ofMinutes(20));
      assertThat(f.events(io.github.rotate4j.event.CredentialOverdue.class)).as("once per version").hasSize(1);
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(6));
      assertThat(f.events(io.github.rotate4j.event.CredentialOverdue.class)).hasSize(1);
    }
  }
}
