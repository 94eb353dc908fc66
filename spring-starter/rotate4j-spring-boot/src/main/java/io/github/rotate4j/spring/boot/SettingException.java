package io.github.rotate4j.spring.boot;

/**
 * A {@code rotate4j.*} setting is missing, unknown or invalid. The message names the property and
 * the allowed values, never a secret.
 */
public final class SettingException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String property;

  SettingException(String property, String message) {
    super(property + ": " + message);
    this.property = property;
  }

  SettingException(String property, String message, Throwable cause) {
    super(property + ": " + message, cause);
    this.property = property;
  }

  /** The full property name, e.g. {@code rotate4j.credentials.orders-db.source}. */
  public String property() {
    return property;
  }
}
