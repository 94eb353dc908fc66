package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.RotationRulesType;

/** The rotation window read from {@code DescribeSecret}, and what is reported from it. */
class RotationWindowTest {

  static final Instant MIDNIGHT = Instant.parse("2031-03-01T00:00:00Z");

  static RotationRulesType rules(String schedule, String duration, Long days) {
    return RotationRulesType.builder()
        .scheduleExpression(schedule.isEmpty() ? null : schedule)
        .duration(duration.isEmpty() ? null : duration)
        .automaticallyAfterDays(days)
        .build();
  }

  @ParameterizedTest(name = "{0} / Duration ''{1}'' from {2} -> {3}")
  @CsvSource({
      // an explicit Duration wins
      "'cron(0 0 1 * ? *)',   3h,  2031-03-01T00:00:00Z, PT3H",
      "'rate(30 days)',       4h,  2031-03-01T00:00:00Z, PT4H",
      "'rate(4 hours)',       2h,  2031-03-01T04:00:00Z, PT2H",
      "'',                    3h,  2031-03-01T00:00:00Z, PT3H",
      // a schedule in days without Duration: until the end of the UTC day
      "'rate(30 days)',       '',  2031-03-01T00:00:00Z, PT24H",
      "'rate(1 day)',         '',  2031-03-01T00:00:00Z, PT24H",
      "'cron(0 16 1,15 * ? *)', '', 2031-03-01T16:00:00Z, PT8H",
      "'cron(0 23 ? * SAT *)',  '', 2031-03-01T23:00:00Z, PT1H",
      "'',                    '',  2031-03-01T00:00:00Z, PT24H",
      // a schedule in hours without Duration: one hour
      "'rate(4 hours)',       '',  2031-03-01T04:00:00Z, PT1H",
      "'rate(12 HOURS)',      '',  2031-03-01T12:00:00Z, PT1H",
      "'cron(0 4/12 * * ? *)', '', 2031-03-01T04:00:00Z, PT1H",
      "'cron(0 8,20 * * ? *)', '', 2031-03-01T08:00:00Z, PT1H",
      "'cron(0 * * * ? *)',   '',  2031-03-01T05:00:00Z, PT1H",
      // what cannot be read falls back to the shorter, schedule-in-hours default
      "'every other tuesday', '',  2031-03-01T00:00:00Z, PT1H",
      "'rate(30 days)',       3x,  2031-03-01T00:00:00Z, PT24H",
      "'rate(30 days)',       0h,  2031-03-01T00:00:00Z, PT24H",
  })
  void windowLength(String schedule, String duration, Instant start, Duration expected) {
    assertThat(RotationWindow.length(start, rules(schedule, duration, 30L))).isEqualTo(expected);
  }

  @Test
  void automaticallyAfterDaysAlone_isAScheduleInDays() {
    RotationWindow w = RotationWindow.of(MIDNIGHT.plus(Duration.ofHours(6)), rules("", "", 30L), true, null).orElseThrow();

    assertThat(w.end()).isEqualTo(Instant.parse("2031-03-02T00:00:00Z"));
  }

  @Test
  void noRules_isAScheduleInDays() {
    assertThat(RotationWindow.length(MIDNIGHT, null)).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void reportedNextRotation_isTheWindowsEnd_plusFiveMinutesBeforeItCountsAsOverdue() {
    RotationWindow w = RotationWindow.of(MIDNIGHT, rules("cron(0 0 1 * ? *)", "3h", 30L), true, null).orElseThrow();

    assertThat(w.start()).isEqualTo(MIDNIGHT);
    assertThat(w.end()).isEqualTo(MIDNIGHT.plus(Duration.ofHours(3)));
    assertThat(w.nextRotation()).isEqualTo(MIDNIGHT.plus(Duration.ofHours(3)).plus(Duration.ofMinutes(5)));
  }

  @Test
  void rotationDisabled_orNoNextRotationDate_noWindow() {
    assertThat(RotationWindow.of(MIDNIGHT, rules("rate(30 days)", "3h", 30L), false, null)).isEmpty();
    assertThat(RotationWindow.of(null, rules("rate(30 days)", "3h", 30L), true, null)).isEmpty();
  }

  @Test
  void rotationEnabledUnknown_stillAWindow() {
    assertThat(RotationWindow.of(MIDNIGHT, rules("rate(30 days)", "3h", 30L), null, null)).isPresent();
  }

  @ParameterizedTest(name = "window {0} -> checks every {1}")
  @CsvSource({"PT3H, PT2M", "PT1H, PT1M", "PT2H, PT1M20S", "PT24H, PT5M", "PT8H, PT5M20S"})
  void step_isWindowOver90_between1And5Minutes(Duration window, Duration expected) {
    Duration step = new RotationWindow(MIDNIGHT, MIDNIGHT.plus(window), null, false).step();

    Duration clamped = expected.compareTo(RotationWindow.MAX_STEP) > 0 ? RotationWindow.MAX_STEP : expected;
    assertThat(step).isEqualTo(clamped);
  }

  @ParameterizedTest(name = "{0} / Duration ''{1}'' -> checks every {2}")
  @CsvSource({
      "'rate(4 hours)', '', PT5M", "'rate(12 hours)', 2h, PT5M", "'cron(0 4/12 * * ? *)', '', PT5M",
      "'rate(30 days)', 3h, PT2M", "'cron(0 0 1 * ? *)', 1h, PT1M", "'rate(30 days)', '', PT5M"})
  void step_ofASchedule(String schedule, String duration, Duration expected) {
    RotationWindow w = RotationWindow.of(MIDNIGHT, rules(schedule, duration, 30L), true, null).orElseThrow();

    assertThat(w.step()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "read at {0} -> next check {1}")
  @CsvSource({
      // before the window: the first point of this instance's own 2-minute grid at or after the start
      "2031-02-28T23:00:30Z, 2031-03-01T00:00:30Z",
      "2031-02-28T23:59:00Z, 2031-03-01T00:01:00Z",
      "2031-02-28T23:59:59Z, 2031-03-01T00:01:59Z",
      "2031-02-28T23:58:00Z, 2031-03-01T00:00:00Z",
      "2031-02-01T00:00:17Z, 2031-03-01T00:00:17Z",
      // inside: one step on
      "2031-03-01T00:00:00Z, 2031-03-01T00:02:00Z",
      "2031-03-01T01:17:42Z, 2031-03-01T01:19:42Z",
      "2031-03-01T02:59:59Z, 2031-03-01T03:01:59Z",
  })
  void nextCheck_onTheInstancesOwnGrid(Instant now, Instant expected) {
    RotationWindow w = new RotationWindow(MIDNIGHT, MIDNIGHT.plus(Duration.ofHours(3)), null, false);

    assertThat(w.nextCheck(now)).contains(expected);
  }

  @ParameterizedTest(name = "read at {0}")
  @CsvSource({"2031-03-01T03:00:00Z", "2031-03-01T07:00:00Z", "2031-04-01T00:00:00Z"})
  void windowAlreadyPassed_noMoreChecks(Instant now) {
    RotationWindow w = new RotationWindow(MIDNIGHT, MIDNIGHT.plus(Duration.ofHours(3)), null, false);

    assertThat(w.nextCheck(now)).isEmpty();
  }

  @Test
  void rotationSeenInThisWindow_noMoreChecks_butOneFromAnEarlierWindowDoesNotCount() {
    Instant now = MIDNIGHT.plus(Duration.ofMinutes(30));
    RotationWindow rotatedNow = new RotationWindow(MIDNIGHT, MIDNIGHT.plus(Duration.ofHours(3)), MIDNIGHT.plus(Duration.ofMinutes(20)), false);
    RotationWindow rotatedLastMonth = new RotationWindow(MIDNIGHT, MIDNIGHT.plus(Duration.ofHours(3)), MIDNIGHT.minus(Duration.ofDays(28)), false);

    assertThat(rotatedNow.nextCheck(now)).isEmpty();
    assertThat(rotatedLastMonth.nextCheck(now)).contains(now.plus(Duration.ofMinutes(2)));
  }

  @Test
  void fromADescribeSecretResponse() {
    DescribeSecretResponse described = DescribeSecretResponse.builder()
        .nextRotationDate(MIDNIGHT)
        .rotationEnabled(true)
        .rotationRules(rules("cron(0 0 1 * ? *)", "3h", 31L))
        .lastRotatedDate(MIDNIGHT.minus(Duration.ofDays(28)).plus(Duration.ofMinutes(77)))
        .build();

    RotationWindow w = RotationWindow.of(described).orElseThrow();

    assertThat(w.end()).isEqualTo(MIDNIGHT.plus(Duration.ofHours(3)));
    assertThat(w.nextCheck(MIDNIGHT.plusSeconds(1))).contains(MIDNIGHT.plusSeconds(121));
  }

  @ParameterizedTest(name = "{0} in hours: {1}")
  @CsvSource({
      "'rate(4 hours)', true", "'rate(1 hour)', true", "'rate(10 days)', false", "'rate(1 day)', false",
      "'cron(0 16 1,15 * ? *)', false", "'cron(0 4/12 * * ? *)', true", "'cron(0 8-18 ? * MON-FRI *)', true",
      "'', false", "'garbage', true"})
  void scheduleInHoursOrDays(String expression, boolean inHours) {
    assertThat(RotationWindow.inHours(expression.isEmpty() ? null : expression)).isEqualTo(inHours);
  }
}
