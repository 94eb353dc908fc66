package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Mints cryptographically strong keys with {@link SecureRandom}, for services that accept a key we
 * choose. Immutable and thread-safe.
 *
 * <pre>{@code
 * KeyGenerator keys = KeyGenerator.alphanumeric(40);   // 40 chars of [A-Za-z0-9], ~238 bits
 * String key = keys.generate();
 * }</pre>
 *
 * <p>Characters are drawn without modulo bias. {@code toString()} describes the format, never a key.
 */
public final class KeyGenerator {

  /** Upper- and lower-case ASCII letters and digits. */
  public static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  /** Smallest number of random bits a generator must produce. */
  public static final int MIN_BITS = 128;

  private enum Encoding { ALPHABET, HEX, BASE64URL }

  private final Encoding encoding;
  private final String alphabet;
  private final int length;
  private final SecureRandom random;

  private KeyGenerator(Encoding encoding, String alphabet, int length, SecureRandom random) {
    this.encoding = encoding;
    this.alphabet = alphabet;
    this.length = length;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Keys of {@code length} characters from {@link #ALPHANUMERIC}. */
  public static KeyGenerator alphanumeric(int length) {
    return ofAlphabet(ALPHANUMERIC, length);
  }

  /**
   * Keys of {@code length} characters drawn uniformly from {@code alphabet}.
   *
   * @throws IllegalArgumentException when the alphabet has fewer than 2 distinct characters, repeats
   *     a character, or the key would carry fewer than {@link #MIN_BITS} bits
   */
  public static KeyGenerator ofAlphabet(String alphabet, int length) {
    Objects.requireNonNull(alphabet, "alphabet");
    if (alphabet.codePoints().distinct().count() != alphabet.length() || alphabet.length() < 2) {
      throw new IllegalArgumentException(
          "alphabet must have at least 2 distinct characters and no repeats, but had " + alphabet.length()
              + " characters, " + alphabet.codePoints().distinct().count() + " distinct (BMP characters only)");
    }
    double bits = length * (Math.log(alphabet.length()) / Math.log(2));
    if (length < 1 || bits < MIN_BITS) {
      throw new IllegalArgumentException("a key of " + length + " characters from an alphabet of "
          + alphabet.length() + " carries " + (int) bits + " bits, but at least " + MIN_BITS + " are required");
    }
    return new KeyGenerator(Encoding.ALPHABET, alphabet, length, new SecureRandom());
  }

  /** Keys of {@code bytes} random bytes, hex-encoded (2 characters per byte). */
  public static KeyGenerator hex(int bytes) {
    return new KeyGenerator(Encoding.HEX, null, checkBytes(bytes), new SecureRandom());
  }

  /** Keys of {@code bytes} random bytes, URL-safe base64 without padding. */
  public static KeyGenerator base64Url(int bytes) {
    return new KeyGenerator(Encoding.BASE64URL, null, checkBytes(bytes), new SecureRandom());
  }

  /** The same format, drawing from {@code random} (for example a {@code SecureRandom.getInstanceStrong()}). */
  public KeyGenerator withRandom(SecureRandom random) {
    return new KeyGenerator(encoding, alphabet, length, random);
  }

  private static int checkBytes(int bytes) {
    if (bytes * 8 < MIN_BITS) {
      throw new IllegalArgumentException(
          "a key needs at least " + MIN_BITS / 8 + " random bytes, but was " + bytes);
    }
    return bytes;
  }

  /** A new key. */
  public String generate() {
    switch (encoding) {
      case HEX -> {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
      }
      case BASE64URL -> {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      }
      default -> {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
          sb.append(alphabet.charAt(random.nextInt(alphabet.length()))); // nextInt(bound) is unbiased
        }
        return sb.toString();
      }
    }
  }

  /** A new key as a text {@link SecretValue}. */
  public SecretValue generateValue() {
    return SecretValue.ofString(generate());
  }

  @Override
  public String toString() {
    return switch (encoding) {
      case HEX -> "KeyGenerator[hex, " + length + " bytes]";
      case BASE64URL -> "KeyGenerator[base64url, " + length + " bytes]";
      default -> "KeyGenerator[" + length + " characters from an alphabet of " + alphabet.length() + "]";
    };
  }
}
