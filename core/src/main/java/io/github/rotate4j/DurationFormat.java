package io.github.rotate4j;

import java.time.Duration;
import java.util.Locale;

/** Durations for people: {@code 350 ms}, {@code 20.99 s}, {@code 4.5 min}, {@code 2.0 h}. */
final class DurationFormat {

  private DurationFormat() {}

  static String of(Duration d) {
    if (d == null) {
      return "?";
    }
    long millis = d.toMillis();
    long abs = Math.abs(millis);
    if (abs < 1_000) {
      return millis + " ms";
    }
    if (abs < 60_000) {
      return String.format(Locale.ROOT, "%.2f s", millis / 1_000.0);
    }
    if (abs < 3_600_000) {
      return String.format(Locale.ROOT, "%.1f min", millis / 60_000.0);
    }
    return String.format(Locale.ROOT, "%.1f h", millis / 3_600_000.0);
  }
}
