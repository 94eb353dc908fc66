package io.github.rotate4j.aws;

import io.github.rotate4j.SecretValue;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Turns the text or bytes of one secret version into a {@link SecretValue} according to a
 * {@link SecretFormat}. Stateless and thread-safe. Failures carry a reason that never quotes the
 * value.
 */
final class SecretDecoder {

  /** A value that does not fit the configured format; the message is safe to show. */
  static final class UndecodableSecretException extends Exception {
    private static final long serialVersionUID = 1L;

    UndecodableSecretException(String message) {
      super(message, null, false, false);
    }
  }

  private final SecretFormat format;

  SecretDecoder(SecretFormat format) {
    this.format = Objects.requireNonNull(format, "format");
  }

  /**
   * Decodes one version.
   *
   * @param text the {@code SecretString}, or {@code null}
   * @param binary the {@code SecretBinary}, or {@code null}
   */
  SecretValue decode(String text, byte @Nullable [] binary) throws UndecodableSecretException {
    if (text == null && binary == null) {
      throw new UndecodableSecretException("the version has neither SecretString nor SecretBinary");
    }
    if (binary != null && text == null) {
      return switch (format) {
        case AUTO, BINARY -> SecretValue.ofBytes(binary);
        case STRING, JSON, USERNAME_PASSWORD -> throw new UndecodableSecretException(
            "the secret is binary, but format " + format + " expects text");
      };
    }
    return switch (format) {
      case STRING -> SecretValue.ofString(text);
      case BINARY -> SecretValue.ofBytes(text.getBytes(StandardCharsets.UTF_8));
      case JSON -> SecretValue.ofMap(parse(text));
      case USERNAME_PASSWORD -> usernamePassword(parse(text))
          .orElseThrow(() -> new UndecodableSecretException(
              "format USERNAME_PASSWORD needs fields 'username' and 'password'"));
      case AUTO -> auto(text);
    };
  }

  private static SecretValue auto(String text) {
    if (!JsonObjectParser.looksLikeObject(text)) {
      return SecretValue.ofString(text);
    }
    Map<String, String> fields;
    try {
      fields = JsonObjectParser.parseObject(text);
    } catch (JsonObjectParser.MalformedJsonException notJson) {
      return SecretValue.ofString(text);
    }
    return usernamePassword(fields).orElseGet(() -> SecretValue.ofMap(fields));
  }

  private static Optional<SecretValue> usernamePassword(Map<String, String> fields) {
    String username = fields.get("username");
    String password = fields.get("password");
    if (username == null || password == null) {
      return Optional.empty();
    }
    Map<String, String> attributes = new java.util.LinkedHashMap<>(fields);
    attributes.remove("username");
    attributes.remove("password");
    return Optional.of(SecretValue.ofUsernamePassword(username, password, attributes));
  }

  private static Map<String, String> parse(String text) throws UndecodableSecretException {
    try {
      return JsonObjectParser.parseObject(text);
    } catch (JsonObjectParser.MalformedJsonException e) {
      throw new UndecodableSecretException("the value is not a JSON object (" + e.getMessage() + ")");
    }
  }
}
