package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.UsageProbe.Verdict;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UsageProbeTest {

  private final Instant promoted = Instant.parse("2030-01-01T00:00:00Z");
  private final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  private final SecretValue old = SecretValue.ofString("old-key-value-123");
  private final String oldId = issuer.register(old);
  private final UsageProbe.OldKey key = new UsageProbe.OldKey("1", Optional.of(oldId), promoted);

  @Test
  void issuerLastUse_inUseWithinQuietPeriod_unusedAfter() {
    UsageProbe probe = UsageProbe.issuerLastUse(issuer, Duration.ofMinutes(30));
    assertThat(probe.check(key, promoted).verdict()).as("never used").isEqualTo(Verdict.UNUSED);

    issuer.authenticate(old, promoted.plusSeconds(60));

    assertThat(probe.check(key, promoted.plus(Duration.ofMinutes(30))).verdict()).isEqualTo(Verdict.IN_USE);
    assertThat(probe.check(key, promoted.plus(Duration.ofMinutes(31))).verdict()).isEqualTo(Verdict.UNUSED);
  }

  @Test
  void issuerLastUse_withoutKeyIdOrLastUseData_isUnknown() {
    UsageProbe probe = UsageProbe.issuerLastUse(issuer, Duration.ZERO);
    assertThat(probe.check(new UsageProbe.OldKey("1", Optional.empty(), promoted), promoted).verdict())
        .isEqualTo(Verdict.UNKNOWN);
    KeyIssuer silent = KeyIssuer.selfMinted(KeyGenerator.hex(16));
    assertThat(UsageProbe.issuerLastUse(silent, Duration.ZERO).check(key, promoted).verdict()).isEqualTo(Verdict.UNKNOWN);
  }

  @Test
  void afterTime_countsFromPromotion() {
    UsageProbe probe = UsageProbe.afterTime(Duration.ofHours(2));
    assertThat(probe.check(key, promoted.plus(Duration.ofMinutes(119))).verdict()).isEqualTo(Verdict.IN_USE);
    assertThat(probe.check(key, promoted.plus(Duration.ofHours(2))).verdict()).isEqualTo(Verdict.UNUSED);
  }

  @Test
  void consumerMatches_unusedOnlyWithoutMatchesOfTheOldVersion() {
    assertThat(UsageProbe.consumerMatches(() -> Map.of("2", 10L)).check(key, promoted).verdict()).isEqualTo(Verdict.UNUSED);
    assertThat(UsageProbe.consumerMatches(() -> Map.of("1", 1L)).check(key, promoted).detail()).contains("1 times");
  }

  @Test
  void allOf_needsEveryProbeToSayUnused() {
    UsageProbe probe = UsageProbe.allOf(UsageProbe.afterTime(Duration.ZERO), UsageProbe.consumerMatches(() -> Map.of("1", 3L)));
    assertThat(probe.check(key, promoted).verdict()).isEqualTo(Verdict.IN_USE);
  }
}
