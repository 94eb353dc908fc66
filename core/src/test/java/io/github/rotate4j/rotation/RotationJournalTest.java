package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RotationJournalTest {

  private final Instant t = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void flatForm_roundTrips() {
    RotationJournal j = RotationJournal.start("r-1", 7, "12", t).oldKeyId("key-1").build()
        .next(RotationPhase.GRACE, t.plusSeconds(5)).newKeyId("key-2").newVersion("13")
        .stagedAt(t).promotedAt(t.plusSeconds(4)).graceEndsAt(t.plusSeconds(3600))
        .nextRotation(t.plusSeconds(86400)).note("ok").build();

    Map<String, String> map = new HashMap<>(j.toMap());
    map.put("unrelated", "x");

    assertThat(RotationJournal.fromMap(map)).contains(j);
    assertThat(j.sequence()).isEqualTo(8);
    assertThat(j.toMap()).containsEntry("rotation_phase", "GRACE").containsEntry("rotation_old_key_id", "key-1");
  }

  @Test
  void noJournal_isEmpty() {
    assertThat(RotationJournal.fromMap(Map.of("next_rotation", "2030-01-01T00:00:00Z"))).isEmpty();
  }

  @Test
  void malformedJournal_namesTheField() {
    Map<String, String> map = new HashMap<>(RotationJournal.start("r-1", 1, "1", t).build().toMap());
    map.put("rotation_phase", "DANCING");
    assertThatThrownBy(() -> RotationJournal.fromMap(map)).hasMessageContaining("rotation_phase='DANCING'");
  }

  @Test
  void longNote_isShortenedToFitTagsAndMetadata() {
    RotationJournal j = RotationJournal.start("r-1", 1, "1", t).note("x".repeat(1000)).build();
    assertThat(j.toMap().values()).allMatch(v -> v.length() <= RotationJournal.MAX_VALUE_LENGTH);
  }

  @Test
  void badRotationId_isRefused() {
    assertThatThrownBy(() -> RotationJournal.start("a/b", 1, "1", t).build()).hasMessageContaining("'a/b'");
  }
}
