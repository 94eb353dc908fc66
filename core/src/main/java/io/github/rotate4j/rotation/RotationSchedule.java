package io.github.rotate4j.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * When a secret is due for rotation: from its recorded {@code next_rotation}, or a fixed frequency
 * after {@code rotated_at}. Immutable.
 */
public final class RotationSchedule {

  private final Duration frequency;

  private RotationSchedule(Duration frequency) {
    this.frequency = frequency;
  }

  /**
   * Due {@code frequency} after the last promotion; each promotion records {@code next_rotation} =
   * promotion + frequency. A recorded {@code next_rotation} that is earlier wins (someone asked for
   * an early rotation).
   *
   * @throws IllegalArgumentException when {@code frequency} is not positive
   */
  public static RotationSchedule every(Duration frequency) {
    Objects.requireNonNull(frequency, "frequency");
    if (frequency.isNegative() || frequency.isZero()) {
      throw new IllegalArgumentException("frequency must be positive, but was " + frequency);
    }
    return new RotationSchedule(frequency);
  }

  /**
   * Due at the recorded {@code next_rotation} only; promotions do not set a new one (the owner of the
   * secret does). A secret without {@code next_rotation} is never due.
   */
  public static RotationSchedule fromNextRotation() {
    return new RotationSchedule(null);
  }

  /** The frequency, for {@link #every} schedules. */
  public Optional<Duration> frequency() {
    return Optional.ofNullable(frequency);
  }

  /** When the secret is due, given its recorded times; empty when it is never due. */
  public Optional<Instant> dueAt(Optional<Instant> rotatedAt, Optional<Instant> nextRotation) {
    Optional<Instant> byFrequency = frequency == null ? Optional.empty() : rotatedAt.map(t -> t.plus(frequency));
    if (frequency != null && rotatedAt.isEmpty() && nextRotation.isEmpty()) {
      return Optional.of(Instant.EPOCH); // never rotated: due now
    }
    if (byFrequency.isPresent() && nextRotation.isPresent()) {
      return Optional.of(byFrequency.get().isBefore(nextRotation.get()) ? byFrequency.get() : nextRotation.get());
    }
    return byFrequency.isPresent() ? byFrequency : nextRotation;
  }

  /** The {@code next_rotation} to record for a promotion at {@code promotedAt}, if any. */
  public Optional<Instant> nextAfter(Instant promotedAt) {
    return frequency == null ? Optional.empty() : Optional.of(promotedAt.plus(frequency));
  }

  @Override
  public String toString() {
    return frequency == null ? "RotationSchedule[from next_rotation]" : "RotationSchedule[every " + frequency + "]";
  }
}
