package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GraceTest {

  private final Fixture f = new Fixture();

  @Test
  void previousKey_staysValidForGracePeriodAfterRotation_thenLeavesTheRing() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    RefreshPolicy policy = Fixture.policy().gracePeriod(Duration.ofMinutes(30)).jitter(0).build();
    try (RotatingCredential c = f.builder(backend).refreshPolicy(policy).build()) {
      c.start();
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(5));
      Instant rotatedAt = f.time.now();
      assertThat(c.keyRing().entry("1").orElseThrow().validUntil()).isEqualTo(rotatedAt.plus(Duration.ofMinutes(30)));
      f.time.advanceTo(rotatedAt.plus(Duration.ofMinutes(30)).minusMillis(1));
      assertThat(c.verify("key-1")).contains(new KeyMatch("1", KeySlot.PREVIOUS));
      f.advance(Duration.ofMillis(1));
      assertThat(c.verify("key-1")).isEmpty();
      assertThat(c.keyRing().previous()).isEmpty();
    }
  }

  @Test
  void graceWindow_endsAtTheEarlierOfGraceAndExpiry() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofHours(1), Duration.ofHours(1), false).build();
    RefreshPolicy policy = Fixture.policy().gracePeriod(Duration.ofHours(2)).build();
    try (RotatingCredential c = f.builder(backend).refreshPolicy(policy).build()) {
      c.start();
      Credential first = c.get();
      f.time.advanceTo(c.status().nextRefresh().orElseThrow());
      assertThat(c.keyRing().entry(first.version()).orElseThrow().validUntil())
          .as("expiry comes before the 2 h grace").isEqualTo(first.expiresAt().orElseThrow());
    }
  }

  @Test
  void zeroGrace_dropsTheOldKeyAtRotation() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).refreshPolicy(Fixture.policy().gracePeriod(Duration.ZERO).build()).build()) {
      c.start();
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(6));
      assertThat(c.keyRing().previous()).isEmpty();
      assertThat(c.verify("key-1")).isEmpty();
    }
  }

  @Test
  void previousVersionKnownToTheBackend_fillsTheRingFromStart() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    f.advance(Duration.ofMinutes(10));
    backend.rotate("key-2");
    Instant rotatedAt = f.time.now();
    f.advance(Duration.ofMinutes(10));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      KeyRing.Entry previous = c.keyRing().entry("1").orElseThrow();
      assertThat(previous.slot()).isEqualTo(KeySlot.PREVIOUS);
      assertThat(previous.validUntil()).as("grace counts from when the backend rotated")
          .isEqualTo(rotatedAt.plus(RefreshPolicy.DEFAULT_GRACE_PERIOD));
      assertThat(c.verify("key-1")).contains(new KeyMatch("1", KeySlot.PREVIOUS));
    }
  }

  @Test
  void previousVersionOlderThanGrace_isNotOffered() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.rotate("key-2");
    f.advance(Duration.ofHours(2));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThat(c.keyRing().previous()).isEmpty();
    }
  }
}
