package io.github.rotate4j.rotation;

/**
 * The step a rotation is at, as recorded in its {@link RotationJournal}. The journal names the step
 * that is <em>about to run or running</em>: it is written to the store before the step acts, so a
 * run that stops anywhere is resumed from that step, and every step is safe to run again.
 */
public enum RotationPhase {
  /** A new key is being created at the issuer (tagged with the rotation id). */
  GENERATE,
  /** The new key is being written to the store as the pending key; consumers do not send it yet. */
  STAGE,
  /**
   * The pending key is in the store and consumers pick it up as their key ring's pending entry; the
   * workflow waits {@code distributionDelay} here before verifying.
   */
  DISTRIBUTE,
  /** The new key is being checked against the real service. A failure rolls back. */
  VERIFY,
  /** The new key is becoming current; the old one stays readable as the previous key. */
  PROMOTE,
  /** The new key is current; the old key stays valid until the grace window ends and it is unused. */
  GRACE,
  /** The old key is being revoked at the issuer. A failure is retried on the next run. */
  REVOKE_OLD,
  /** The rotation finished: new key current, old key revoked (or reported as not revocable). */
  COMPLETED,
  /** The rotation is being undone: the old key current again, the new key revoked, nothing pending. */
  ROLLBACK,
  /** The rotation was undone. */
  ROLLED_BACK;

  /** Whether the rotation has ended ({@link #COMPLETED} or {@link #ROLLED_BACK}). */
  public boolean isTerminal() {
    return this == COMPLETED || this == ROLLED_BACK;
  }

  /** Whether the new key has been promoted to current (and the rotation is not being undone). */
  public boolean isPromoted() {
    return this == GRACE || this == REVOKE_OLD || this == COMPLETED;
  }
}
