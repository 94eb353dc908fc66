package io.github.rotate4j;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The secret part of a {@link Credential}: a string, raw bytes, a key/value map or a username and
 * password. Instances are immutable and never print their content: {@code toString()} shows only
 * the kind of value and, for a map, how many keys it has, never their names (a key name may be the
 * secret itself, when a file holding only the secret is read as a properties file).
 *
 * <p>Every value has a <em>presented form</em>, the bytes a caller sends to prove it holds the key
 * (the string, the bytes, the password, or the single entry of a one-entry map). The {@link KeyRing}
 * compares presented keys against it in constant time.
 */
public abstract sealed class SecretValue
    permits SecretValue.Text, SecretValue.Binary, SecretValue.KeyValue, SecretValue.UsernamePassword {

  private SecretValue() {}

  /** A text secret, such as an API key or a token. */
  public static SecretValue ofString(String value) {
    return new Text(value);
  }

  /** A binary secret; the array is copied. */
  public static SecretValue ofBytes(byte[] value) {
    return new Binary(value);
  }

  /** A key/value secret, such as a JSON object or a Vault KV entry; the map is copied. */
  public static SecretValue ofMap(Map<String, String> value) {
    return new KeyValue(value);
  }

  /** A username and password, such as database credentials. */
  public static SecretValue ofUsernamePassword(String username, String password) {
    return new UsernamePassword(username, password, Map.of());
  }

  /**
   * A username and password with the connection details stored beside them (for example
   * {@code engine}, {@code host}, {@code port}, {@code dbname} of a database secret); the map is copied.
   */
  public static SecretValue ofUsernamePassword(String username, String password, Map<String, String> attributes) {
    return new UsernamePassword(username, password, attributes);
  }

  /**
   * The bytes a caller presents as this key. Used for constant-time matching.
   *
   * @throws IllegalStateException if this value has no single presented form (a map with more or
   *     less than one entry)
   */
  abstract byte[] presentedForm();

  /**
   * A short description of the kind of value, safe to log. Key names are never part of it: a file
   * holding only the secret, read as a key/value file by mistake, turns the secret into a key name.
   */
  abstract String kind();

  /** {@code "1 field"}, {@code "3 fields"}: how to mention the keys of a secret map without naming them. */
  static String countOf(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /**
   * An unmodifiable copy of {@code ordered}, iterated in the same order. The empty map is shared and
   * a single entry needs no hash table: a registry holds thousands of these maps, most of them empty
   * or with one entry. Lookups of {@code null} answer as a {@code LinkedHashMap}'s do.
   */
  static Map<String, String> compact(Map<String, String> ordered) {
    if (ordered.isEmpty()) {
      return Collections.emptyMap();
    }
    if (ordered.size() == 1) {
      Map.Entry<String, String> only = ordered.entrySet().iterator().next();
      return Collections.singletonMap(only.getKey(), only.getValue());
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(ordered)); // a table sized to the entries
  }

  @Override
  public final String toString() {
    return "SecretValue[" + kind() + ", <redacted>]";
  }

  /** A text secret. */
  public static final class Text extends SecretValue {
    private final String value;

    Text(String value) {
      this.value = Objects.requireNonNull(value, "value");
    }

    public String value() {
      return value;
    }

    @Override
    byte[] presentedForm() {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    String kind() {
      return "text";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Text t && t.value.equals(value);
    }

    @Override
    public int hashCode() {
      return value.hashCode();
    }
  }

  /** A binary secret. */
  public static final class Binary extends SecretValue {
    private final byte[] value;

    Binary(byte[] value) {
      this.value = Objects.requireNonNull(value, "value").clone();
    }

    /** A copy of the bytes. */
    public byte[] value() {
      return value.clone();
    }

    @Override
    byte[] presentedForm() {
      return value.clone();
    }

    @Override
    String kind() {
      return "binary";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Binary b && Arrays.equals(b.value, value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }
  }

  /** A key/value secret; iteration order is the order the backend returned. */
  public static final class KeyValue extends SecretValue {
    private final Map<String, String> value;

    KeyValue(Map<String, String> value) {
      Objects.requireNonNull(value, "value");
      Map<String, String> copy = new LinkedHashMap<>();
      value.forEach(
          (k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value of " + k)));
      this.value = compact(copy);
    }

    /** The entries, unmodifiable. */
    public Map<String, String> value() {
      return value;
    }

    @Override
    byte[] presentedForm() {
      if (value.size() != 1) {
        throw new IllegalStateException(
            "a key/value secret with " + value.size()
                + " fields has no single presented key; set keyField to the field that holds the key");
      }
      return value.values().iterator().next().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    String kind() {
      return "key-value, " + countOf(value.size(), "field");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof KeyValue kv && kv.value.equals(value);
    }

    @Override
    public int hashCode() {
      return value.hashCode();
    }
  }

  /**
   * A username and password, and the connection details stored with them; the password is the
   * presented form.
   */
  public static final class UsernamePassword extends SecretValue {
    private final String username;
    private final String password;
    private final Map<String, String> attributes;

    UsernamePassword(String username, String password, Map<String, String> attributes) {
      this.username = Objects.requireNonNull(username, "username");
      this.password = Objects.requireNonNull(password, "password");
      Objects.requireNonNull(attributes, "attributes");
      Map<String, String> copy = new LinkedHashMap<>();
      attributes.forEach((k, v) -> {
        if (k.equals("username") || k.equals("password")) {
          throw new IllegalArgumentException("attributes must not repeat the " + k);
        }
        copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value of " + k));
      });
      this.attributes = compact(copy);
    }

    public String username() {
      return username;
    }

    public String password() {
      return password;
    }

    /** Connection details stored with the login (host, port, dbname, engine, ...); may be empty. */
    public Map<String, String> attributes() {
      return attributes;
    }

    @Override
    byte[] presentedForm() {
      return password.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    String kind() {
      return attributes.isEmpty() ? "username-password" : "username-password, " + countOf(attributes.size(), "attribute");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof UsernamePassword up
          && up.username.equals(username)
          && up.password.equals(password)
          && up.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
      return Objects.hash(username, password, attributes);
    }
  }
}
