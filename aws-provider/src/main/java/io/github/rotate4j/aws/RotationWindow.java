package io.github.rotate4j.aws;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.RotationRulesType;

/**
 * A secret's next rotation window, from what {@code DescribeSecret} returns, and what the provider
 * reports so that the engine polls closely across the whole window. Pure: takes {@code now}.
 *
 * <p>Secrets Manager rotates at any time inside a window that opens at {@code NextRotationDate} and
 * lasts {@code RotationRules.Duration} (e.g. {@code 3h}). Without a {@code Duration} the window of a
 * schedule in hours ({@code rate(N hours)}, a {@code cron()} with several hours a day) closes after
 * one hour, and that of a schedule in days ({@code rate(N days)}, {@code AutomaticallyAfterDays}, a
 * {@code cron()} with one hour a day) at the end of the UTC day.
 *
 * <ul>
 *   <li>{@link #nextRotation()}: the window's <em>end</em> (plus {@link #OVERDUE_TOLERANCE}). The
 *       engine polls closely from two poll intervals before it to one after it, and slowly far from
 *       it; a version still unchanged when the window has closed is reported overdue, not one that
 *       AWS may still rotate.
 *   <li>{@link #nextCheck(Instant)}: announced as the backend's next change, so that the engine
 *       looks again at the next point of this instance's own grid of {@link #step()} (window/90,
 *       within 1 and 5 minutes; 5 minutes for a schedule in hours, whose windows come several times
 *       a day and would otherwise cost more than plain polling) from the
 *       window's start until its end (the engine's own close polling takes over near the end). The
 *       grid starts from this instance's last read, so a fleet stays spread. Nothing once a rotation
 *       inside this window was seen ({@code LastRotatedDate}), or once the window has closed.
 * </ul>
 */
final class RotationWindow {

  /** Checks spread over a window: its length divided by this, within {@link #MIN_STEP} and {@link #MAX_STEP}. */
  static final int CHECKS_PER_WINDOW = 90;
  static final Duration MIN_STEP = Duration.ofMinutes(1);
  /**
   * The engine's default poll interval: a long window is never checked less often than a plain poll,
   * and the windows of a schedule in hours (several a day) are checked this often, so that they never
   * cost more than plain polling.
   */
  static final Duration MAX_STEP = Duration.ofMinutes(5);
  /**
   * How long after the window's end the secret counts as overdue: a rotation in the window's last
   * minutes is seen at the next poll, which may come a few minutes after the end.
   */
  static final Duration OVERDUE_TOLERANCE = Duration.ofMinutes(5);

  private static final Pattern HOURS = Pattern.compile("\\s*(\\d{1,3})\\s*h\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern RATE = Pattern.compile("\\s*rate\\(\\s*\\d+\\s+(hours?|days?)\\s*\\)\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern CRON = Pattern.compile("\\s*cron\\((.*)\\)\\s*", Pattern.CASE_INSENSITIVE);

  private final Instant start;
  private final Instant end;
  private final @Nullable Instant lastRotated;
  private final boolean scheduleInHours;

  RotationWindow(Instant start, Instant end, @Nullable Instant lastRotated, boolean scheduleInHours) {
    this.start = start;
    this.end = end;
    this.lastRotated = lastRotated;
    this.scheduleInHours = scheduleInHours;
  }

  /** The window of the secret described, or empty when it has no scheduled rotation (or it is turned off). */
  static Optional<RotationWindow> of(DescribeSecretResponse described) {
    return of(described.nextRotationDate(), described.rotationRules(), described.rotationEnabled(), described.lastRotatedDate());
  }

  static Optional<RotationWindow> of(@Nullable Instant nextRotationDate, @Nullable RotationRulesType rules,
      @Nullable Boolean rotationEnabled, @Nullable Instant lastRotated) {
    if (nextRotationDate == null || Boolean.FALSE.equals(rotationEnabled)) {
      return Optional.empty();
    }
    boolean inHours = inHours(rules == null ? null : rules.scheduleExpression());
    return Optional.of(new RotationWindow(nextRotationDate, nextRotationDate.plus(length(nextRotationDate, rules)), lastRotated,
        inHours));
  }

  /** How long the window opening at {@code start} lasts under {@code rules}. */
  static Duration length(Instant start, @Nullable RotationRulesType rules) {
    if (rules != null && rules.duration() != null) {
      Matcher m = HOURS.matcher(rules.duration());
      if (m.matches() && Integer.parseInt(m.group(1)) > 0) {
        return Duration.ofHours(Integer.parseInt(m.group(1)));
      }
    }
    return inHours(rules == null ? null : rules.scheduleExpression()) ? Duration.ofHours(1) : untilEndOfUtcDay(start);
  }

  /**
   * Whether a schedule is "in hours" (several windows a day: {@code rate(N hours)}, a {@code cron()}
   * whose hours field is not a single hour); {@code rate(N days)}, {@code AutomaticallyAfterDays} alone
   * and a {@code cron()} at one hour of the day are schedules in days. An expression that cannot be
   * read counts as one in hours: the shorter default window.
   */
  static boolean inHours(@Nullable String scheduleExpression) {
    if (scheduleExpression == null || scheduleExpression.isBlank()) {
      return false;
    }
    Matcher rate = RATE.matcher(scheduleExpression);
    if (rate.matches()) {
      return rate.group(1).toLowerCase(Locale.ROOT).startsWith("hour");
    }
    Matcher cron = CRON.matcher(scheduleExpression);
    if (cron.matches()) {
      String[] fields = cron.group(1).trim().split("\\s+");
      return fields.length < 2 || !fields[1].matches("\\d{1,2}");
    }
    return true;
  }

  private static Duration untilEndOfUtcDay(Instant start) {
    Instant midnight = start.truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
    Duration left = Duration.between(start, midnight);
    return left.compareTo(Duration.ofHours(1)) < 0 ? Duration.ofHours(1) : left;
  }

  Instant start() {
    return start;
  }

  Instant end() {
    return end;
  }

  /**
   * The instant reported as the credential's next rotation: the end of the window, plus
   * {@link #OVERDUE_TOLERANCE}.
   */
  Instant nextRotation() {
    return end.plus(OVERDUE_TOLERANCE);
  }

  /**
   * How far apart the checks inside the window are: window/90 within 1 and 5 minutes (2 minutes for
   * a 3-hour window), or 5 minutes for a schedule in hours.
   */
  Duration step() {
    if (scheduleInHours) {
      return MAX_STEP;
    }
    Duration step = Duration.between(start, end).dividedBy(CHECKS_PER_WINDOW);
    if (step.compareTo(MIN_STEP) < 0) {
      return MIN_STEP;
    }
    return step.compareTo(MAX_STEP) > 0 ? MAX_STEP : step;
  }

  /**
   * When to look again, read at {@code now}: the first point of {@code now + k * step} (k ≥ 1) at or
   * after the window's start, while the window is open and no rotation was seen in it; else empty.
   */
  Optional<Instant> nextCheck(Instant now) {
    if (!now.isBefore(end) || (lastRotated != null && !lastRotated.isBefore(start))) {
      return Optional.empty();
    }
    Duration step = step();
    long k = 1;
    if (now.isBefore(start)) {
      long nanos = Duration.between(now, start).toNanos();
      k = Math.max(1, (nanos + step.toNanos() - 1) / step.toNanos());
    }
    return Optional.of(now.plus(step.multipliedBy(k)));
  }

  @Override
  public String toString() {
    return "RotationWindow[" + start + " .. " + end + ", step " + step() + "]";
  }
}
