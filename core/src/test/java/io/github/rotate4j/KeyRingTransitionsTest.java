package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KeyRingTransitionsTest {

  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration GRACE = Duration.ofHours(1);

  private static Credential version(String v, Instant issued) {
    return Credential.builder(v).value(SecretValue.ofString("key-" + v)).issuedAt(issued).build();
  }

  @Test
  void aProviderReportingHistory_isTheAuthority_aWithdrawnVersionLeavesAtOnce() {
    Credential v1 = version("1", T0);
    Credential v2 = version("2", T0.plusSeconds(60));
    Credential v3 = version("3", T0.plusSeconds(120));
    KeyRing ring = KeyRingTransitions.afterFetch(null, FetchResult.builder(v2).previous(v1).build(), T0.plusSeconds(60), GRACE).ring();
    assertThat(ring.previous()).containsExactly(v1);
    // v2 is rotated out and the backend no longer lists v1 (deleted or destroyed by an operator)
    KeyRingTransitions.AfterFetch next = KeyRingTransitions.afterFetch(ring,
        FetchResult.builder(v3).previous(v2).build(), T0.plusSeconds(120), GRACE);
    assertThat(next.rotated()).isTrue();
    assertThat(next.ring().previous()).containsExactly(v2);
    // and with an explicit empty history, nothing older stays
    KeyRing bare = KeyRingTransitions.afterFetch(next.ring(), FetchResult.builder(v3).historyReported(true).build(),
        T0.plusSeconds(180), GRACE).ring();
    assertThat(bare.previous()).isEmpty();
  }

  @Test
  void aProviderWithoutHistory_keepsWhatTheEngineSawForTheGraceWindow() {
    Credential v1 = version("1", T0);
    Credential v2 = version("2", T0.plusSeconds(60));
    KeyRing ring = KeyRingTransitions.afterFetch(null, FetchResult.of(v1), T0, GRACE).ring();
    KeyRing rotated = KeyRingTransitions.afterFetch(ring, FetchResult.of(v2), T0.plusSeconds(60), GRACE).ring();
    assertThat(rotated.entry("1")).hasValueSatisfying(e -> {
      assertThat(e.slot()).isEqualTo(KeySlot.PREVIOUS);
      assertThat(e.validUntil()).isEqualTo(T0.plusSeconds(60).plus(GRACE));
    });
    assertThat(KeyRingTransitions.prune(rotated, T0.plusSeconds(60).plus(GRACE)).previous()).isEmpty();
    assertThat(KeyRingTransitions.nextPrune(rotated)).contains(T0.plusSeconds(60).plus(GRACE));
  }

  @Test
  void sameVersionWithNewContent_isReported() {
    Credential v1 = version("1", T0);
    Credential v1changed = Credential.builder("1").value(SecretValue.ofString("other")).issuedAt(T0).build();
    KeyRing ring = KeyRingTransitions.afterFetch(null, FetchResult.of(v1), T0, GRACE).ring();
    KeyRingTransitions.AfterFetch t = KeyRingTransitions.afterFetch(ring, FetchResult.of(v1changed), T0, GRACE);
    assertThat(t.rotated()).isFalse();
    assertThat(t.contentChanged()).isTrue();
  }

  @Test
  void renewal_replacesOnlyTheCurrentEntry() {
    Credential lease = Credential.builder("l1").value(SecretValue.ofString("pw")).issuedAt(T0)
        .expiresAt(T0.plusSeconds(60)).lease("l1", true).build();
    KeyRing ring = KeyRing.of(lease);
    Credential renewed = lease.toBuilder().expiresAt(T0.plusSeconds(120)).build();
    assertThat(KeyRingTransitions.afterRenewal(ring, renewed).currentEntry().validUntil()).isEqualTo(T0.plusSeconds(120));
  }
}
