package io.github.rotate4j.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A secret's rotation status at one instant, read from its store without changing anything.
 *
 * @param secret the secret, as {@link SecretStore#describe()} names it
 * @param checkedAt the instant the status describes
 * @param currentVersion the store version of the current key
 * @param rotatedAt when the current key was promoted, if recorded
 * @param nextRotation the recorded {@code next_rotation}, if any
 * @param dueAt when the secret is due by its schedule; empty when never
 * @param due whether {@code checkedAt} is at or past {@code dueAt}
 * @param overdue whether it is more than the rotator's {@code overdueAfter} past {@code dueAt}
 * @param journal the latest journal entry, if any rotation ever ran
 */
public record RotationStatus(
    String secret,
    Instant checkedAt,
    String currentVersion,
    Optional<Instant> rotatedAt,
    Optional<Instant> nextRotation,
    Optional<Instant> dueAt,
    boolean due,
    boolean overdue,
    Optional<RotationJournal> journal) {

  public RotationStatus {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(checkedAt, "checkedAt");
    Objects.requireNonNull(currentVersion, "currentVersion");
    Objects.requireNonNull(rotatedAt, "rotatedAt");
    Objects.requireNonNull(nextRotation, "nextRotation");
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(journal, "journal");
  }

  /** Time since the current key was promoted ("days since rotation"), when recorded. */
  public Optional<Duration> sinceRotation() {
    return rotatedAt.map(t -> Duration.between(t, checkedAt));
  }

  /** A rotation that has not ended (under way, waiting, or stopped), if any. */
  public Optional<RotationJournal> activeRotation() {
    return journal.filter(j -> !j.phase().isTerminal());
  }
}
