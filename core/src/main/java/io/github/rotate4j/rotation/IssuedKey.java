package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import java.util.Objects;

/**
 * A key the {@link KeyIssuer} created: its id at the issuing service (not secret, used to revoke it
 * and to ask when it was last used) and its value. {@code toString()} never shows the value.
 *
 * @param keyId the key's id at the issuing service
 * @param value the key itself, as consumers will read it from the store
 */
public record IssuedKey(String keyId, SecretValue value) {
  public IssuedKey {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(value, "value");
    if (keyId.isBlank()) {
      throw new IllegalArgumentException("keyId must not be blank");
    }
  }

  @Override
  public String toString() {
    return "IssuedKey[keyId=" + keyId + ", value=" + value + "]";
  }
}
