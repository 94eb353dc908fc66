package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.event.CredentialRenewed;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaseTest {

  private final Fixture f = new Fixture();

  @Test
  void renewableLease_firstRenewalHasAWidePhase_betweenAThirdAndTwoThirdsOfTtl() {
    Duration ttl = Duration.ofMinutes(30);
    Set<Instant> seen = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      Fixture g = new Fixture();
      InMemoryCredentialProvider backend = g.backend().initialValue("pw").leases(ttl, Duration.ofHours(24), true).build();
      try (RotatingCredential c = RotatingCredential.builder("db", backend)
          .clock(g.time.clock()).scheduler(g.time.scheduler())
          .ioExecutor(Runnable::run).eventExecutor(Runnable::run).random(new Random(seed)).build()) {
        c.start();
        Instant start = g.time.now();
        Instant next = c.status().nextRefresh().orElseThrow();
        // the first renewal is drawn over [ratio/20, ratio] of the TTL: [1 min, 20 min]
        assertThat(next).isBetween(start.plus(Duration.ofMinutes(1)), start.plus(Duration.ofMinutes(20)));
        seen.add(next);
        g.time.advanceTo(next);
        assertThat(backend.renewCount()).isEqualTo(1);
        assertThat(backend.fetchCount()).isEqualTo(1);
        assertThat(c.get().expiresAt()).contains(next.plus(ttl));
      }
    }
    assertThat(seen).hasSizeGreaterThan(10);
  }

  @Test
  void renewal_publishesRenewedAndKeepsTheVersion() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(30), Duration.ofHours(24), true).announceMaxTtl(false).build();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      String lease = c.get().version();
      f.advance(Duration.ofMinutes(23));
      assertThat(c.get().version()).isEqualTo(lease);
      assertThat(f.events(CredentialRenewed.class)).singleElement()
          .satisfies(e -> assertThat(e.expiresAt()).isAfter(f.time.now().plus(Duration.ofMinutes(20))));
      assertThat(f.events(CredentialRotated.class)).isEmpty();
    }
  }

  @Test
  void renewableLease_nearMaxTtl_isReplacedBeforeItEnds_andStaysInRingUntilItsEnd() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(30), Duration.ofMinutes(50), true).announceMaxTtl(false).build();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      Credential first = c.get();
      Instant firstEnd = f.time.now().plus(Duration.ofMinutes(50));
      f.advance(Duration.ofMinutes(45));
      assertThat(backend.renewCount()).as("renewed at ~20 min and ~40 min").isEqualTo(2);
      assertThat(backend.fetchCount()).as("replaced when the renewal no longer extended the lease").isEqualTo(2);
      Credential second = c.get();
      assertThat(second.version()).isNotEqualTo(first.version());
      assertThat(second.issuedAt()).isBefore(firstEnd);
      KeyRing.Entry old = c.keyRing().entry(first.version()).orElseThrow();
      assertThat(old.slot()).isEqualTo(KeySlot.PREVIOUS);
      assertThat(old.validUntil()).isEqualTo(firstEnd);
      assertThat(c.verify("pw")).isPresent();
      f.time.advanceTo(firstEnd);
      assertThat(c.keyRing().entry(first.version())).as("the old lease leaves the ring when it ends").isEmpty();
      assertThat(c.get().version()).isEqualTo(second.version());
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void renewableLease_announcedMaxTtl_spreadsTheFirstReplacementOverTheWholeLife(boolean announced) {
    // leases issued together (TTL 60 s, max TTL 10 min): where does each instance replace its first one?
    List<Duration> replacedAfter = new ArrayList<>();
    for (int seed = 0; seed < 40; seed++) {
      Fixture g = new Fixture();
      InMemoryCredentialProvider backend = g.backend().initialValue("pw")
          .leases(Duration.ofSeconds(60), Duration.ofMinutes(10), true).announceMaxTtl(announced).build();
      try (RotatingCredential c = RotatingCredential.builder("db", backend)
          .clock(g.time.clock()).scheduler(g.time.scheduler())
          .ioExecutor(Runnable::run).eventExecutor(Runnable::run).random(new Random(seed)).build()) {
        c.start();
        Instant start = g.time.now();
        while (backend.fetchCount() < 2) {
          g.time.advanceTo(c.status().nextRefresh().orElseThrow());
        }
        replacedAfter.add(Duration.between(start, c.get().issuedAt()));
      }
    }
    Duration latest = Duration.ofMinutes(10).minus(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofSeconds(60)));
    if (announced) {
      assertThat(replacedAfter).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(latest));
      assertThat(replacedAfter.stream().filter(d -> d.compareTo(Duration.ofMinutes(5)) < 0).count())
          .as("replacements drawn over the whole first life, not bunched at its end").isBetween(10L, 30L);
    } else {
      // the max TTL is learned from the first renewal that comes back short (at most a TTL before the
      // end), and the replacement follows before the lease ends, possibly with less than minOverlap
      assertThat(replacedAfter).allSatisfy(d -> assertThat(d).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(10)));
    }
  }

  @Test
  void nonRenewableLease_isReplacedWithMinOverlapBeforeItEnds() {
    for (Duration ttl : new Duration[] {Duration.ofHours(1), Duration.ofSeconds(90), Duration.ofSeconds(10)}) {
      Fixture g = new Fixture();
      InMemoryCredentialProvider backend = g.backend().initialValue("pw").leases(ttl, ttl, false).build();
      try (RotatingCredential c = g.builder(backend).build()) {
        c.start();
        Credential first = c.get();
        Duration overlap = RefreshPolicy.ofDefaults().minOverlapFor(ttl);
        g.time.advanceTo(c.status().nextRefresh().orElseThrow());
        Credential second = c.get();
        assertThat(second.version()).isNotEqualTo(first.version());
        assertThat(second.issuedAt())
            .as("replacement for a %s lease issued at least %s before the old one ends", ttl, overlap)
            .isBeforeOrEqualTo(first.expiresAt().orElseThrow().minus(overlap));
        assertThat(c.keyRing().previous()).contains(first);
      }
    }
    assertThat(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofHours(1))).isEqualTo(Duration.ofMinutes(20));
    assertThat(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofSeconds(90))).isEqualTo(Duration.ofSeconds(45));
    assertThat(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofMinutes(10))).isEqualTo(Duration.ofSeconds(200));
    assertThat(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofMinutes(2))).isEqualTo(Duration.ofSeconds(60));
    assertThat(RefreshPolicy.ofDefaults().minOverlapFor(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void close_revokesTheLeasesThisProcessObtained() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofSeconds(90), Duration.ofSeconds(90), false).build();
    RotatingCredential c = f.builder(backend).build();
    c.start();
    String first = c.get().version();
    f.advance(Duration.ofSeconds(50));
    String second = c.get().version();
    assertThat(second).isNotEqualTo(first);
    c.close();
    assertThat(backend.revokedLeases()).containsExactlyInAnyOrder(first, second);
  }

  @Test
  void close_withRevokeOff_keepsLeases() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(5), Duration.ofMinutes(5), false).build();
    RotatingCredential c = f.builder(backend).revokeOnClose(false).build();
    c.start();
    c.close();
    assertThat(backend.revokedLeases()).isEmpty();
  }
}
