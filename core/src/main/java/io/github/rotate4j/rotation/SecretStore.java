package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;

/**
 * Where consumers read the key and where the rotation keeps its {@link RotationJournal}: Vault KV v2
 * ({@code io.github.rotate4j.vault.VaultKvSecretStore}), AWS Secrets Manager
 * ({@code io.github.rotate4j.aws.SecretsManagerSecretStore}), or in memory for tests
 * ({@code io.github.rotate4j.testing.InMemorySecretStore}).
 *
 * <p><b>Fencing.</b> Every write carries the journal entry of the rotation making it. A store
 * accepts {@link #writeJournal} only when the entry is the successor of the one it holds (same
 * rotation while one is under way, {@link RotationJournal#sequence()} one higher), and accepts the
 * key writes only while the journal it holds is exactly the entry passed. Anything else is
 * refused with {@link RotationConflictException}, changing nothing: of two racing rotators exactly
 * one wins. Stores make each check and write as atomic as their backend allows (KV {@code cas},
 * AWS client request tokens and staging-label moves) and document what remains.
 *
 * <p><b>Idempotency.</b> Every key write is keyed by the journal's rotation id and may be called
 * again after it succeeded or after it was interrupted half-way: it then completes and changes
 * nothing more. The workflow relies on this to resume.
 *
 * <p>Backend failures are thrown as unchecked exceptions naming the store and path, never a key.
 */
public interface SecretStore {

  /** The store and path, for messages: e.g. {@code vault secret/payments/api-key}. */
  String describe();

  /**
   * Reads the keys, the journal and the schedule.
   *
   * @throws RotationException when the secret does not exist or holds no current key (the first
   *     key is written by hand)
   */
  RotationState read();

  /**
   * Records {@code entry}, the successor of the journal the store holds.
   *
   * @throws RotationConflictException when the store holds anything but the predecessor: another
   *     rotator wrote first
   */
  void writeJournal(RotationJournal entry);

  /**
   * Writes {@code value} as the pending key of the rotation {@code journal} (phase {@link
   * RotationPhase#STAGE}). Consumers do not send a pending key; Rotate4j consumers see it as their
   * key ring's pending entry.
   *
   * @throws RotationConflictException when the journal held is not {@code journal}, or another
   *     rotation's key is pending
   */
  void stage(RotationJournal journal, SecretValue value);

  /**
   * Makes the pending key of the rotation current (phase {@link RotationPhase#PROMOTE}): the old
   * current key becomes the previous key, still readable; {@code rotated_at} and
   * {@code next_rotation} are set from {@link RotationJournal#promotedAt()} and {@link
   * RotationJournal#nextRotation()}; nothing is pending afterwards.
   *
   * @return the new current key's store version
   * @throws RotationConflictException when the journal held is not {@code journal}, or the current
   *     version is neither the rotation's old version nor its new one
   */
  String promote(RotationJournal journal);

  /**
   * Removes the pending key of the rotation, if any (rollback before promotion). The current key is
   * untouched.
   *
   * @throws RotationConflictException when the journal held is not {@code journal}
   */
  void discardPending(RotationJournal journal);

  /**
   * Makes the rotation's old key current again (manual rollback after promotion), with
   * {@code rotated_at} back to its value before the rotation.
   *
   * @return the store version now current
   * @throws RotationConflictException when the journal held is not {@code journal}
   * @throws RotationException when the old key can no longer be read
   */
  String restorePrevious(RotationJournal journal);

  /**
   * Stops serving the rotation's old key as the previous key, after it was revoked at the issuer, so
   * that consumers drop it from their key rings. Stores that cannot may do nothing.
   *
   * @throws RotationConflictException when the journal held is not {@code journal}
   */
  void retirePrevious(RotationJournal journal);
}
