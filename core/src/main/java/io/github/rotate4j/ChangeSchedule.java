package io.github.rotate4j;

import java.time.Duration;
import java.time.Instant;

/**
 * When to poll a backend that announced its next change ({@link
 * io.github.rotate4j.spi.FetchResult#nextChange()}): shortly after the announced instant, spread
 * over {@link #SPREAD} so that a fleet does not read at the same millisecond; once the instant has
 * passed without a change (the backend is late), again after half the lateness, at least
 * {@link #MIN_RECHECK}, so that checks thin out geometrically while the backend stays late. The
 * caller caps the result with its regular poll. Pure: takes {@code now} and the random draw.
 */
final class ChangeSchedule {

  /** Polls after an announced change are drawn over this window. */
  static final Duration SPREAD = Duration.ofSeconds(1);
  /** The shortest wait between checks of a change that is late. */
  static final Duration MIN_RECHECK = Duration.ofSeconds(1);

  private ChangeSchedule() {}

  /**
   * @param nextChange the instant the backend announced
   * @param now the current time
   * @param draw a uniform draw in [0, 1), or 0 for no spread
   * @return the delay until the next poll, not yet capped by the regular interval
   */
  static Duration delay(Instant nextChange, Instant now, double draw) {
    Duration spread = Duration.ofNanos((long) (SPREAD.toNanos() * draw));
    if (nextChange.isAfter(now)) {
      return Duration.between(now, nextChange).plus(spread);
    }
    Duration half = Duration.between(nextChange, now).dividedBy(2);
    return (half.compareTo(MIN_RECHECK) < 0 ? MIN_RECHECK : half).plus(spread);
  }
}
