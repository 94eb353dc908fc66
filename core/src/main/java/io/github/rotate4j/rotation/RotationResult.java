package io.github.rotate4j.rotation;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one call of {@link Rotator#rotate()}, {@link Rotator#resume()} or {@link Rotator#rollback()}
 * achieved. Immutable; {@code toString()} is a readable one-line summary without secrets.
 *
 * @param secret the secret, as {@link SecretStore#describe()} names it
 * @param outcome how the call ended
 * @param journal the journal entry the store holds after the call, if any
 * @param resumeAt when a waiting rotation can go on (end of distribution delay or grace window)
 * @param message a readable summary
 * @param warnings things an operator must look at (old key still in use, a key that may be left
 *     at the issuer, a failed revocation); empty when all is well
 */
public record RotationResult(
    String secret,
    Outcome outcome,
    Optional<RotationJournal> journal,
    Optional<Instant> resumeAt,
    String message,
    List<String> warnings) {

  /** How a call ended. */
  public enum Outcome {
    /** {@link Rotator#rotateIfDue()}: the secret is not due. Nothing changed. */
    NOT_DUE,
    /** {@link Rotator#resume()} or {@link Rotator#rollback()}: no rotation to act on. */
    NOTHING_TO_DO,
    /** The new key is staged and waits for the distribution delay; run again at {@code resumeAt}. */
    DISTRIBUTING,
    /** The new key is current; the old one is inside its grace window until {@code resumeAt}. */
    IN_GRACE,
    /** The grace window is over but the usage probe says the old key is still used: not revoked. */
    OLD_KEY_IN_USE,
    /** Revoking the old key failed; the next run retries. Consumers are not affected. */
    REVOKE_FAILED,
    /** The rotation finished: new key current, old key revoked (see warnings if it could not be). */
    COMPLETED,
    /** The new key failed verification; the rotation was rolled back. */
    VERIFY_FAILED,
    /** The rotation was rolled back (on request, or because a stopped run had lost its new key). */
    ROLLED_BACK,
    /** Another rotator changed the secret first; this one stopped without changing anything more. */
    CONFLICT,
    /** A step failed (backend unreachable, ...); the journal is intact and the next run resumes. */
    FAILED,
    /** The workflow cannot go on by itself (see message); the journal says where it stopped. */
    NEEDS_ATTENTION
  }

  public RotationResult {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(journal, "journal");
    Objects.requireNonNull(resumeAt, "resumeAt");
    Objects.requireNonNull(message, "message");
    warnings = List.copyOf(warnings);
  }

  /** The rotation concerned, if any. */
  public Optional<String> rotationId() {
    return journal.map(RotationJournal::rotationId);
  }

  /** The phase the rotation is at after the call, if any. */
  public Optional<RotationPhase> phase() {
    return journal.map(RotationJournal::phase);
  }

  /** Whether an operator should look: warnings, or an outcome that needs a person. */
  public boolean needsAttention() {
    return !warnings.isEmpty()
        || outcome == Outcome.OLD_KEY_IN_USE
        || outcome == Outcome.REVOKE_FAILED
        || outcome == Outcome.VERIFY_FAILED
        || outcome == Outcome.FAILED
        || outcome == Outcome.CONFLICT
        || outcome == Outcome.NEEDS_ATTENTION;
  }

  @Override
  public String toString() {
    return secret + ": " + outcome
        + rotationId().map(id -> " (rotation " + id + ", " + phase().orElseThrow() + ")").orElse("")
        + " - " + message
        + resumeAt.map(t -> "; run again at " + t).orElse("")
        + (warnings.isEmpty() ? "" : "; WARNINGS: " + String.join("; ", warnings));
  }
}
