package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialOverdue;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real engine and provider, on a manual clock, against a secret that Secrets Manager rotates
 * monthly at a random instant of a 3-hour window ({@link ScheduledSecretClient}), at the default
 * policy (5 min ± 10 %): what a credential costs in calls per hour, and how soon it notices each
 * scheduled rotation. Deterministic (seeded); prints its figures, which docs/COST.md quotes.
 *
 * <p>Reference, AWS's {@code SecretCache} 2.0.0 at its defaults (docs/COST.md): 1.33 calls per
 * credential-hour; a rotation noticed after 18.7 min on average (23.3 min for an application that
 * reads continuously). The goal: fewer calls, and noticed at least ten times sooner (≤ 1.87 min).
 */
class RotationWindowPollingTest {

  static final Instant START = Instant.parse("2031-01-05T07:13:00Z");
  static final int INSTANCES = 40;
  static final int MONTHS = 6;

  record Figures(double callsPerCredentialHour, double meanNoticeMinutes, double maxNoticeMinutes, int rotations, int overdue) {}

  static Figures simulate(long seed, int windowHours) {
    return simulate(seed, windowHours, true);
  }

  /**
   * @param windowAware false to replay what the provider reported before it read the window: the
   *     window's start ({@code NextRotationDate}) as the next rotation, and no checks across the window
   */
  static Figures simulate(long seed, int windowHours, boolean windowAware) {
    ManualTime time = ManualTime.startingAt(START);
    return simulate(time, new ScheduledSecretClient(time.clock(), seed, windowHours), seed, windowHours, windowAware,
        Duration.ofDays(30L * MONTHS));
  }

  static Figures simulate(ManualTime time, ScheduledSecretClient backend, long seed, int windowHours, boolean windowAware,
      Duration runFor) {
    List<Instant> noticed = new ArrayList<>();
    int[] overdue = new int[1];
    List<RotatingCredential> fleet = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      AwsSecretsManagerProvider aws = AwsSecretsManagerProvider.builder(ScheduledSecretClient.NAME)
          .client(backend).clock(time.clock()).build();
      CredentialProvider provider = windowAware ? aws : new StartOfWindowOnly(aws, Duration.ofHours(windowHours));
      fleet.add(RotatingCredential.builder("instance-" + i, provider)
          .clock(time.clock())
          .scheduler(time.scheduler())
          .ioExecutor(ManualTime.directExecutor())
          .eventExecutor(ManualTime.directExecutor())
          .random(RandomGeneratorFactory.of("L64X128MixRandom").create(seed * 1_000_003L + i))
          .listener(new CredentialListener() {
            @Override
            public void onRotated(CredentialRotated e) {
              noticed.add(e.time());
            }

            @Override
            public void onOverdue(CredentialOverdue e) {
              overdue[0]++;
            }
          })
          .build());
    }
    fleet.forEach(RotatingCredential::start);
    time.advance(runFor);
    fleet.forEach(RotatingCredential::close);

    List<Instant> rotations = backend.rotations();
    double total = 0;
    double max = 0;
    for (Instant n : noticed) {
      // the rotation this notice follows: the latest one at or before it
      Instant made = rotations.stream().filter(r -> !r.isAfter(n)).reduce((a, b) -> b).orElseThrow();
      double minutes = Duration.between(made, n).toMillis() / 60_000.0;
      total += minutes;
      max = Math.max(max, minutes);
    }
    assertThat(noticed).as("every instance noticed every rotation").hasSize(INSTANCES * rotations.size());
    double hours = runFor.toMillis() / 3_600_000.0;
    return new Figures(backend.calls() / (INSTANCES * hours), total / noticed.size(), max, rotations.size(), overdue[0]);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void monthlyScheduleWithA3hWindow_fewerCallsThanSecretCache_andNoticedTenTimesSooner(long seed) {
    Figures f = simulate(seed, 3);

    print("monthly schedule, 3 h window, 6 months", seed, f);
    assertThat(f.rotations()).isEqualTo(MONTHS);
    assertThat(f.callsPerCredentialHour()).isLessThan(1.33);
    assertThat(f.meanNoticeMinutes()).isLessThan(18.7 / 10);
    // a rotation late in the window is caught by the checks across it, never by a slow far-away poll
    assertThat(f.maxNoticeMinutes()).isLessThan(2.5);
    assertThat(f.overdue()).as("no rotation is overdue: each happened inside its window").isZero();
  }

  /** Without a Duration the window of a schedule in days is the whole UTC day: checks every 5 minutes across it. */
  @Test
  void monthlyScheduleWithoutDuration_wholeDayWindow_checkedEveryFiveMinutes() {
    Figures f = simulate(1, 24);

    print("monthly schedule, 24 h window (no Duration), 6 months", 1, f);
    assertThat(f.rotations()).isEqualTo(MONTHS);
    assertThat(f.callsPerCredentialHour()).isLessThan(1.33);
    assertThat(f.meanNoticeMinutes()).isLessThan(3);
    assertThat(f.maxNoticeMinutes()).isLessThan(5.5);
    assertThat(f.overdue()).isZero();
  }

  /**
   * The same secret, as the provider reported it before it read the rotation window: past
   * {@code NextRotationDate} the engine fell back to its regular 5-minute polls (noticed after half an
   * interval, not ten times sooner than {@code SecretCache}), and every rotation AWS made after the
   * window's first minutes was reported overdue although it was on time.
   */
  @Test
  void withoutReadingTheWindow_noticedLater_andOnTimeRotationsReportedOverdue() {
    Figures before = simulate(1, 3, false);
    Figures now = simulate(1, 3);

    print("monthly schedule, 3 h window, 6 months, provider reporting only NextRotationDate (before)", 1, before);
    assertThat(before.meanNoticeMinutes()).isGreaterThan(18.7 / 10).isGreaterThan(now.meanNoticeMinutes() * 2);
    assertThat(before.overdue()).isEqualTo(INSTANCES * MONTHS);
    assertThat(now.overdue()).isZero();
  }

  /** Reports the window's start as the next rotation and announces no checks, like the provider before it read the window. */
  private record StartOfWindowOnly(CredentialProvider delegate, Duration window) implements CredentialProvider {
    @Override
    public String backend() {
      return delegate.backend();
    }

    @Override
    public String path() {
      return delegate.path();
    }

    @Override
    public FetchResult fetch(FetchContext context) {
      FetchResult r = delegate.fetch(context);
      Credential current = r.current().toBuilder()
          .nextRotation(r.current().nextRotation().map(end -> end.minus(RotationWindow.OVERDUE_TOLERANCE).minus(window)).orElse(null)).build();
      FetchResult.Builder b = FetchResult.builder(current).historyReported(r.historyReported()).pending(r.pending().orElse(null));
      r.previous().forEach(b::previous);
      return b.build();
    }
  }

  /**
   * A schedule in hours ({@code rate(4 hours)}, AWS's one-hour window): its windows are checked every
   * 5 minutes, so it never costs more than plain 5-minute polling (12 calls per credential-hour).
   */
  @Test
  void scheduleInHours_costsLessThanPlainPolling() {
    ManualTime time = ManualTime.startingAt(START);
    Figures f = simulate(time, ScheduledSecretClient.everyHours(time.clock(), 1, 4), 1, 1, true, Duration.ofDays(7));

    print("rate(4 hours), 1 h window, 7 days", 1, f);
    assertThat(f.rotations()).isEqualTo(7 * 6);
    assertThat(f.callsPerCredentialHour()).isLessThan(12);
    assertThat(f.meanNoticeMinutes()).isLessThan(2.5);
    assertThat(f.overdue()).isZero();
  }

  private static void print(String window, long seed, Figures f) {
    System.out.println(String.format(Locale.ROOT,
        window + ", default policy (5 min +-10 %%), %d instances, seed %d: "
            + "%.3f calls per credential-hour, rotation noticed after %.2f min on average (max %.2f min), "
            + "%d rotations, %d overdue events",
        INSTANCES, seed, f.callsPerCredentialHour(), f.meanNoticeMinutes(), f.maxNoticeMinutes(), f.rotations(), f.overdue()));
  }

  @Test
  void fetchesAcrossAWindow_reportTheWindowsEnd_andAnnounceChecksUntilTheRotationIsSeen() {
    ManualTime time = ManualTime.startingAt(Instant.parse("2031-01-31T23:00:00Z"));
    ScheduledSecretClient backend = new ScheduledSecretClient(time.clock(), () -> 0.9, 3);
    AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(ScheduledSecretClient.NAME)
        .client(backend).clock(time.clock()).build();
    Instant windowStart = Instant.parse("2031-02-01T00:00:00Z");
    Instant windowEnd = windowStart.plus(Duration.ofHours(3));

    FetchResult before = provider.fetch(FetchContext.startup("db"));
    time.advanceTo(windowStart.plusSeconds(1));
    FetchResult inside = provider.fetch(FetchContext.startup("db"));
    time.advanceTo(windowStart.plus(Duration.ofMinutes(170)));
    FetchResult afterRotation = provider.fetch(FetchContext.startup("db"));

    assertThat(before.current().nextRotation()).contains(windowEnd.plus(RotationWindow.OVERDUE_TOLERANCE));
    // one hour before the window, on this instance's own 2-minute grid: the first point at its start
    assertThat(before.nextChange()).contains(windowStart);
    assertThat(inside.current().nextRotation()).contains(windowEnd.plus(RotationWindow.OVERDUE_TOLERANCE));
    assertThat(inside.nextChange()).contains(windowStart.plusSeconds(1).plus(Duration.ofMinutes(2)));
    assertThat(inside.current().version()).isEqualTo(before.current().version());
    assertThat(backend.rotations()).containsExactly(windowStart.plus(Duration.ofMinutes(162)));
    assertThat(afterRotation.current().version()).isNotEqualTo(before.current().version());
    assertThat(afterRotation.current().nextRotation()).contains(Instant.parse("2031-03-01T03:05:00Z"));
    // read at 02:50 on Feb 1: 2,409,000 s, exactly 20,075 two-minute steps, before the next window
    assertThat(afterRotation.nextChange()).contains(Instant.parse("2031-03-01T00:00:00Z"));
  }
}
