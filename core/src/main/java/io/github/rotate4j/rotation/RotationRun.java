package io.github.rotate4j.rotation;

import java.time.Instant;
import java.util.Optional;

/** One call of a {@link Rotator}: reads the store, then walks the state machine as far as it can. */
final class RotationRun {

  private final Rotator r;

  RotationRun(Rotator rotator) {
    this.r = rotator;
  }

  RotationResult rotate(boolean onlyIfDue) {
    throw new UnsupportedOperationException("rotation workflow not available in this build");
  }

  RotationResult resume() {
    throw new UnsupportedOperationException("rotation workflow not available in this build");
  }

  RotationResult rollback() {
    throw new UnsupportedOperationException("rotation workflow not available in this build");
  }

  RotationStatus status(Instant now) {
    RotationState state = r.store.read();
    Optional<Instant> dueAt = r.schedule.dueAt(state.rotatedAt(), state.nextRotation());
    boolean due = dueAt.map(t -> !now.isBefore(t)).orElse(false);
    boolean overdue = dueAt.map(t -> !now.isBefore(t.plus(r.overdueAfter))).orElse(false);
    return new RotationStatus(r.store.describe(), now, state.current().version(), state.rotatedAt(),
        state.nextRotation(), dueAt, due, overdue, state.journal());
  }
}
