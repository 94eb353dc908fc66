package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Checks that a new key works against the real service before it becomes current (phase {@link
 * RotationPhase#VERIFY}), for example by calling a cheap authenticated endpoint with it. A failed
 * verification rolls the rotation back.
 */
@FunctionalInterface
public interface KeyVerifier {

  /**
   * Verifies {@code key}.
   *
   * @param key the staged key
   * @throws RuntimeException when the key does not work (the message must not contain the key); the
   *     rotation rolls back
   */
  void verify(SecretValue key);

  /** A verifier from a predicate: {@code false} fails verification. */
  static KeyVerifier of(Predicate<SecretValue> works) {
    Objects.requireNonNull(works, "works");
    return key -> {
      if (!works.test(key)) {
        throw new IllegalStateException("the service did not accept the new key");
      }
    };
  }

  /**
   * Verifies nothing. Only for keys no service checks (self-minted keys); prefer a real check.
   */
  static KeyVerifier none() {
    return key -> { };
  }
}
