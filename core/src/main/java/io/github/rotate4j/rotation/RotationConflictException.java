package io.github.rotate4j.rotation;

/**
 * Another rotator changed the secret first: a fenced store write found a journal, a pending key or
 * a version it did not expect. The store is left as the winner wrote it; the loser stops (and
 * revokes any key it created that never reached the store).
 */
public class RotationConflictException extends RotationException {

  private static final long serialVersionUID = 1L;

  /**
   * @param secret the secret concerned, as {@link SecretStore#describe()} names it
   * @param rotationId the rotation that lost
   * @param message what the store found instead of what was expected
   */
  public RotationConflictException(String secret, String rotationId, String message) {
    super(secret, rotationId, message, null);
  }
}
