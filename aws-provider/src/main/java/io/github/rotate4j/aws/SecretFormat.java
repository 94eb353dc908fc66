package io.github.rotate4j.aws;

/**
 * How an AWS secret's value becomes a {@link io.github.rotate4j.SecretValue}.
 *
 * @see AwsSecretsManagerProvider.Builder#format(SecretFormat)
 */
public enum SecretFormat {
  /**
   * Decides per version (the default): a binary secret becomes bytes; a JSON object with string
   * {@code username} and {@code password} fields becomes a username and password (other fields such
   * as {@code engine} or {@code host} become its attributes); any other JSON object becomes a
   * key/value map; everything else stays text. A value that starts like a JSON object but is not
   * valid JSON stays text too, and is logged at WARN once per version: use {@link #STRING} when
   * text is meant, {@link #JSON} to refuse it.
   */
  AUTO,
  /** Always the text as stored, even if it is JSON. Binary secrets are refused. */
  STRING,
  /**
   * A JSON object, parsed once into a key/value map. Numbers and booleans become their JSON text,
   * nested objects and arrays their compact JSON text; {@code null} fields are left out. Anything
   * that is not a JSON object is refused.
   */
  JSON,
  /** Raw bytes: the binary value, or the UTF-8 bytes of a text secret. */
  BINARY,
  /**
   * A database secret in the standard JSON shape ({@code {"username", "password", "engine",
   * "host", ...}}): the username and password, typed. A value without both is refused.
   */
  USERNAME_PASSWORD
}
