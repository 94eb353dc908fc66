package io.github.rotate4j.rotation;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link SecretStore} holds for one secret, read in one go. Immutable.
 *
 * @param current the key consumers send now
 * @param previous the key before it, while the store still serves it (KV version n-1, AWSPREVIOUS)
 * @param pending a staged key not yet promoted (AWSPENDING, the KV pending entry)
 * @param journal the latest rotation journal entry, if any rotation ever ran
 * @param rotatedAt when the current key was promoted ({@code rotated_at}), if recorded
 * @param nextRotation when the next rotation is planned ({@code next_rotation}), if recorded
 */
public record RotationState(
    StoredKey current,
    Optional<StoredKey> previous,
    Optional<StoredKey> pending,
    Optional<RotationJournal> journal,
    Optional<Instant> rotatedAt,
    Optional<Instant> nextRotation) {

  public RotationState {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(pending, "pending");
    Objects.requireNonNull(journal, "journal");
    Objects.requireNonNull(rotatedAt, "rotatedAt");
    Objects.requireNonNull(nextRotation, "nextRotation");
  }

  /** The journal of a rotation that has not ended, if one is under way (or was stopped). */
  public Optional<RotationJournal> activeRotation() {
    return journal.filter(j -> !j.phase().isTerminal());
  }

  /** The sequence the next journal entry written to this secret must carry. */
  public long nextSequence() {
    return journal.map(RotationJournal::sequence).orElse(0L) + 1;
  }
}
