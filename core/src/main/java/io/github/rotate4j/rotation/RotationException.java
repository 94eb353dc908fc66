package io.github.rotate4j.rotation;

import io.github.rotate4j.CredentialException;

/**
 * A rotation could not go on. The message names the secret (store and path) and the rotation id;
 * it never contains a key.
 */
public class RotationException extends CredentialException {

  private static final long serialVersionUID = 1L;

  private final String rotationId;

  /**
   * @param secret the secret concerned, as {@link SecretStore#describe()} names it
   * @param rotationId the rotation concerned, or {@code null} when none had started
   * @param message what went wrong; must not contain a secret
   * @param cause the cause, or {@code null}
   */
  public RotationException(String secret, String rotationId, String message, Throwable cause) {
    super(null, null, secret, rotationId == null ? message : "rotation " + rotationId + ": " + message, cause);
    this.rotationId = rotationId;
  }

  /** The rotation concerned, if one had started. */
  public java.util.Optional<String> rotationId() {
    return java.util.Optional.ofNullable(rotationId);
  }
}
