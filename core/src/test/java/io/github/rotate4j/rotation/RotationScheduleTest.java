package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RotationScheduleTest {

  private final Instant rotatedAt = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void every_isDueAFrequencyAfterRotation_orEarlierWhenNextRotationSaysSo() {
    RotationSchedule s = RotationSchedule.every(Duration.ofDays(30));
    assertThat(s.dueAt(Optional.of(rotatedAt), Optional.empty())).contains(rotatedAt.plus(Duration.ofDays(30)));
    assertThat(s.dueAt(Optional.of(rotatedAt), Optional.of(rotatedAt.plus(Duration.ofDays(7)))))
        .contains(rotatedAt.plus(Duration.ofDays(7)));
    assertThat(s.nextAfter(rotatedAt)).contains(rotatedAt.plus(Duration.ofDays(30)));
  }

  @Test
  void every_neverRotatedSecret_isDueNow() {
    assertThat(RotationSchedule.every(Duration.ofDays(30)).dueAt(Optional.empty(), Optional.empty())).contains(Instant.EPOCH);
  }

  @Test
  void fromNextRotation_followsTheRecordedInstantOnly() {
    RotationSchedule s = RotationSchedule.fromNextRotation();
    assertThat(s.dueAt(Optional.of(rotatedAt), Optional.empty())).isEmpty();
    assertThat(s.dueAt(Optional.empty(), Optional.of(rotatedAt))).contains(rotatedAt);
    assertThat(s.nextAfter(rotatedAt)).isEmpty();
  }
}
