package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import java.util.Objects;
import java.util.Optional;

/**
 * A key as the {@link SecretStore} holds it. {@code toString()} never shows the value.
 *
 * @param version the store's version id (KV version number, AWS VersionId)
 * @param value the key
 * @param rotationId the rotation that wrote it, when the store knows ({@code null} otherwise); for
 *     a pending key the store must know it
 */
public record StoredKey(String version, SecretValue value, String rotationId) {
  public StoredKey {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(value, "value");
  }

  /** A key with no known rotation. */
  public static StoredKey of(String version, SecretValue value) {
    return new StoredKey(version, value, null);
  }

  /** The rotation that wrote this key, when the store knows. */
  public Optional<String> writtenBy() {
    return Optional.ofNullable(rotationId);
  }

  @Override
  public String toString() {
    return "StoredKey[version=" + version + (rotationId == null ? "" : ", rotation=" + rotationId) + "]";
  }
}
