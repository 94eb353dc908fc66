package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The external service whose key is rotated: it creates keys, revokes them, and (optionally) says
 * when a key was last used. Implement it for a real service over that service's key API.
 *
 * <p><b>Idempotency.</b> The rotation id passed to {@link #issue(String)} is the rotation's
 * idempotency key. Label the key with it where the service allows (a key name or description such
 * as {@code rotate4j-<rotationId>}) and return those keys from {@link #keysIssuedFor(String)}: when
 * a run stops after the service created a key but before its id reached the journal, the next run
 * revokes every key listed there, so no key is left live by mistake. {@link #revoke(String)} must
 * succeed (do nothing) for a key that is already revoked or gone.
 *
 * <p><b>Two live keys.</b> Most services let a key and its successor live side by side, which is
 * what makes a zero-downtime rotation with a grace window possible. A service that allows one key
 * at a time (issuing a new key kills the old one) declares it with {@link #allowsTwoLiveKeys()}:
 * the workflow then has no grace window and relies on consumers falling back to the pending key
 * when the old one is rejected (see {@code RotatingCredential#call}).
 *
 * <p>Implementations are called from one rotation at a time per secret but should be thread-safe.
 * Exceptions thrown are reported with the rotation; never put a key into an exception message.
 */
public interface KeyIssuer {

  /**
   * Creates a new key at the service.
   *
   * @param rotationId the rotation creating it; label the key with it if the service allows
   * @return the new key's id and value
   * @throws RuntimeException when the service refuses or cannot be reached
   */
  IssuedKey issue(String rotationId);

  /**
   * Revokes (deletes, disables) a key at the service. Must succeed when the key is already revoked
   * or does not exist.
   *
   * @throws RuntimeException when the service refuses or cannot be reached; the workflow retries on
   *     the next run
   */
  void revoke(String keyId);

  /**
   * When the service last saw the key used, if it reports that. The default reports nothing.
   *
   * @return the last use, or empty when the key was never used or the service does not say
   */
  default Optional<Instant> lastUsed(String keyId) {
    return Optional.empty();
  }

  /** Whether the service reports last use at all ({@link #lastUsed} is meaningful). Default false. */
  default boolean reportsLastUse() {
    return false;
  }

  /**
   * Ids of the keys created (even partly) for a rotation, found by the label {@link #issue} gave
   * them. Used to clean up after a run that stopped during {@link #issue}. The default lists
   * nothing: the workflow then reports that a key may be left at the service.
   */
  default List<String> keysIssuedFor(String rotationId) {
    return List.of();
  }

  /** Whether {@link #keysIssuedFor} is implemented. Default false. */
  default boolean listsKeysByRotation() {
    return false;
  }

  /**
   * The id at the service of a key already in the store, for the very first rotation, when no
   * journal records it yet (for example an AWS access key id stored next to the secret key). The
   * default does not know: the first rotation then cannot revoke the old key and says so.
   */
  default Optional<String> keyIdOf(SecretValue value) {
    return Optional.empty();
  }

  /**
   * Whether the service accepts a key and its successor at the same time. Default {@code true}.
   * When {@code false}, issuing a new key ends the old one: no grace window, no revocation of the
   * old key, and a failed verification cannot bring the old key back (it is reported instead).
   */
  default boolean allowsTwoLiveKeys() {
    return true;
  }

  /**
   * An issuer for keys we mint ourselves and that no service needs to learn about (a shared HMAC
   * key between our own services, say): {@code issue} generates a key, its id is the rotation id,
   * and {@code revoke} has nothing to do.
   */
  static KeyIssuer selfMinted(KeyGenerator generator) {
    Objects.requireNonNull(generator, "generator");
    return new KeyIssuer() {
      @Override
      public IssuedKey issue(String rotationId) {
        return new IssuedKey(rotationId, generator.generateValue());
      }

      @Override
      public void revoke(String keyId) {
        // nothing outside the store knows the key
      }

      @Override
      public String toString() {
        return "KeyIssuer.selfMinted(" + generator + ")";
      }
    };
  }
}
