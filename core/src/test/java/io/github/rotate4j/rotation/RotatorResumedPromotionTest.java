package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.testing.SimulatedCrash;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run that stops at the store's promote and is resumed long after: the old key's grace window
 * counts from the resumed promotion, never from the time the stopped run recorded.
 */
class RotatorResumedPromotionTest {

  private static final Duration GRACE = RotationFixture.GRACE;

  private final RotationFixture f = new RotationFixture();
  /** When the new key became current, as the usage probe was told on each call. */
  private final List<Instant> probedPromotions = new CopyOnWriteArrayList<>();
  private final Rotator rotator = f.rotatorBuilder()
      .usageProbe((oldKey, now) -> {
        probedPromotions.add(oldKey.promotedAt());
        return UsageProbe.Usage.unused("no request with the old key");
      })
      .build();

  @ParameterizedTest(name = "crash at {0}")
  @ValueSource(strings = {"store.promote.before", "store.promote.after"})
  void resumedPromotion_afterTheRecordedGraceEnd_keepsTheOldKeyAFullGracePeriod(String crashPoint) {
    f.store.faults().crashOnce(crashPoint);
    assertThatThrownBy(rotator::rotate).isInstanceOf(SimulatedCrash.class);
    RotationJournal stopped = f.store.snapshot().journal().orElseThrow();
    assertThat(stopped.phase()).isEqualTo(RotationPhase.PROMOTE);
    Instant recordedGraceEnd = stopped.graceEndsAt().orElseThrow();

    f.time.advanceTo(recordedGraceEnd.plus(GRACE.multipliedBy(2)));
    Instant resumedAt = f.time.now();
    RotationResult resumed = rotator.resume();

    assertThat(resumed.outcome()).as(resumed.message()).isEqualTo(Outcome.IN_GRACE);
    assertThat(resumed.resumeAt()).contains(resumedAt.plus(GRACE));
    RotationState s = f.store.snapshot();
    assertThat(s.current().writtenBy()).contains(stopped.rotationId());
    RotationJournal grace = s.journal().orElseThrow();
    assertThat(grace.phase()).isEqualTo(RotationPhase.GRACE);
    assertThat(grace.promotedAt()).contains(resumedAt);
    assertThat(grace.graceEndsAt()).contains(resumedAt.plus(GRACE));
    if (crashPoint.endsWith(".before")) {
      assertThat(s.rotatedAt()).as("rotated_at is the real promotion").contains(resumedAt);
      assertThat(s.nextRotation()).contains(resumedAt.plus(Rotator.DEFAULT_FREQUENCY));
    }
    assertThat(f.issuer.isLive(f.firstKeyId)).as("old key right after the resumed promotion").isTrue();
    f.assertCurrentKeyWorks();

    f.time.advance(GRACE.minusSeconds(1));
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(f.issuer.isLive(f.firstKeyId)).as("old key one second before the grace window ends").isTrue();
    assertThat(probedPromotions).as("the probe is not asked inside the grace window").isEmpty();

    f.time.advance(Duration.ofSeconds(1));
    RotationResult done = rotator.resume();

    assertThat(done.outcome()).as(done.message()).isEqualTo(Outcome.COMPLETED);
    assertThat(f.issuer.isLive(f.firstKeyId)).as("old key once the grace window ended").isFalse();
    assertThat(probedPromotions).containsExactly(resumedAt);
    f.assertSettled();
  }
}
