package io.github.rotate4j.internal;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks shared by Rotate4j's builders, so that every module words a bad setting the same
 * way. Not API: it may change in any release.
 */
public final class Checks {

  private Checks() {}

  /**
   * Returns {@code value} if it is greater than zero.
   *
   * @throws NullPointerException naming {@code setting} if {@code value} is null
   * @throws IllegalArgumentException "{@code <setting> must be greater than 0, but was <value>}"
   */
  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(setting + " must be greater than 0, but was " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} for a setting that may be given once.
   *
   * @throws NullPointerException naming {@code setting} if {@code value} is null
   * @throws IllegalStateException "{@code <setting> was already set to <current>}" if {@code current} is set
   */
  public static <T> T once(String setting, @Nullable T current, T value) {
    Objects.requireNonNull(value, setting);
    if (current != null) {
      throw new IllegalStateException(setting + " was already set to " + current);
    }
    return value;
  }
}
