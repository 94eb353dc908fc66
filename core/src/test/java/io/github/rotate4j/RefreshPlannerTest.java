package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RefreshPlannerTest {

  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private final RefreshPlanner planner = new RefreshPlanner(RefreshPolicy.ofDefaults(), new Random(1));

  @ParameterizedTest
  @ValueSource(ints = {60, 600, 3600})
  void replacement_isDrawnOverAWindowThatEndsAtTheDeadline_neverPiledOntoIt(int ttlSeconds) {
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    Instant end = NOW.plus(ttl);
    Instant latest = planner.latestReplacement(end, ttl);
    List<Instant> draws = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      draws.add(planner.replacement(NOW, end, ttl, false));
    }
    assertThat(draws).allSatisfy(t -> assertThat(t).isAfterOrEqualTo(NOW).isBeforeOrEqualTo(latest));
    assertThat(draws.stream().filter(latest::equals).count()).as("draws exactly at the deadline").isLessThan(5);
    assertThat(draws.stream().distinct().count()).isGreaterThan(990);
    Duration spread = Duration.between(draws.stream().min(Instant::compareTo).orElseThrow(),
        draws.stream().max(Instant::compareTo).orElseThrow());
    assertThat(spread).as("the window is as wide as the jitter band").isGreaterThan(
        RefreshPlanner.scale(Duration.between(NOW, latest), 0.15));
  }

  @Test
  void replacement_pastTheDeadline_isNow() {
    Duration ttl = Duration.ofMinutes(10);
    assertThat(planner.replacement(NOW, NOW.plusSeconds(30), ttl, false)).isEqualTo(NOW);
    assertThat(planner.replacement(NOW, NOW.plusSeconds(30), ttl, true)).isEqualTo(NOW);
  }

  @Test
  void firstPoll_hasARandomPhaseOverTheWholeInterval_andLaterPollsKeepIt() {
    Duration interval = RefreshPolicy.DEFAULT_REFRESH_INTERVAL;
    List<Instant> bases = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      bases.add(planner.firstPollBase(NOW));
    }
    assertThat(bases).allSatisfy(b -> assertThat(b).isBetween(NOW, NOW.plus(interval)));
    long firstHalf = bases.stream().filter(b -> b.isBefore(NOW.plus(interval.dividedBy(2)))).count();
    assertThat(firstHalf).as("uniform over the interval").isBetween(400L, 600L);

    Instant base = NOW.plusSeconds(17);
    // a poll that ran late (after a 12-minute outage) returns to its own grid
    Instant next = planner.nextPollBase(base, NOW.plus(Duration.ofMinutes(12)));
    assertThat(Duration.between(base, next).toNanos() % interval.toNanos()).isZero();
    assertThat(next).isAfter(NOW.plus(Duration.ofMinutes(12)));
    assertThat(planner.pollAt(next, NOW)).isBetween(next.minus(interval.dividedBy(10)), next.plus(interval.dividedBy(10)));
  }

  @Test
  void firstRenewal_isWide_laterOnesAtTwoThirds() {
    Instant end = NOW.plus(Duration.ofMinutes(30));
    List<Instant> first = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      first.add(planner.renewal(NOW, end, true));
      assertThat(planner.renewal(NOW, end, false)).isBetween(NOW.plus(Duration.ofMinutes(18)), NOW.plus(Duration.ofMinutes(22)));
    }
    // over [1/20, 1] of two thirds of the lease: [1 min, 20 min], uniformly
    assertThat(first).allSatisfy(t -> assertThat(t).isBetween(NOW.plus(Duration.ofMinutes(1)), NOW.plus(Duration.ofMinutes(20))));
    assertThat(first.stream().filter(t -> t.isBefore(NOW.plus(Duration.ofMillis(630_000)))).count()).isBetween(200L, 300L);
    assertThat(first.stream().filter(t -> t.isBefore(NOW.plus(Duration.ofMinutes(3)))).count()).isPositive();
  }

  @Test
  void attemptTimeout_scalesToShortLeases() {
    assertThat(planner.attemptTimeout(null)).isEqualTo(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT);
    assertThat(planner.attemptTimeout(Duration.ofHours(1))).isEqualTo(RefreshPolicy.DEFAULT_ATTEMPT_TIMEOUT);
    assertThat(planner.attemptTimeout(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(3));
    assertThat(planner.tooShortForPolicy(Duration.ofSeconds(30))).isTrue();
    assertThat(planner.tooShortForPolicy(Duration.ofMinutes(5))).isFalse();
  }

  @Test
  void retryDelay_fitsTheRemainingAttemptsBeforeExpiry() {
    Instant expiry = NOW.plusSeconds(10);
    Duration timeout = Duration.ofSeconds(1);
    // 3 attempts left, 9 s of room: at most 3 s each
    assertThat(planner.retryDelay(Duration.ofSeconds(20), NOW, expiry, timeout, 3)).contains(Duration.ofSeconds(3));
    assertThat(planner.retryDelay(Duration.ofSeconds(1), NOW, expiry, timeout, 3)).contains(Duration.ofSeconds(1));
    assertThat(planner.retryDelay(Duration.ofSeconds(1), NOW.plusSeconds(9), expiry, timeout, 3)).isEmpty();
    assertThat(planner.retryDelay(Duration.ofSeconds(20), NOW, null, timeout, 3)).contains(Duration.ofSeconds(20));
  }

  @Test
  void cycleBackoff_isExponentialWithFullJitter_andProbesMoreOftenOnceExpired() {
    Duration cap = RefreshPolicy.DEFAULT_RECOVERY_INTERVAL;
    for (int cycles = 1; cycles <= 6; cycles++) {
      Duration bound = RefreshPlanner.min(cap.dividedBy(8).multipliedBy(1L << (cycles - 1)), cap);
      List<Duration> waits = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        waits.add(planner.cycleBackoff(cycles, NOW, null, Duration.ofSeconds(10), false));
      }
      assertThat(waits).allSatisfy(w -> assertThat(w).isBetween(Duration.ZERO, bound));
      assertThat(waits.stream().filter(w -> w.compareTo(bound.dividedBy(2)) < 0).count())
          .as("full jitter: uniform from zero").isBetween(140L, 260L);
    }
    assertThat(planner.cycleBackoff(10, NOW, null, Duration.ofSeconds(10), true)).isLessThanOrEqualTo(cap.dividedBy(4));
  }

  @Test
  void cycleBackoff_whenNoAttemptFitsBeforeExpiry_probesJustAfterIt() {
    Instant expiry = NOW.plusSeconds(5);
    Duration wait = planner.cycleBackoff(1, NOW, expiry, Duration.ofSeconds(10), false);
    assertThat(NOW.plus(wait)).isAfterOrEqualTo(expiry).isBefore(expiry.plusSeconds(2));
  }

  @Test
  void scheduleAwarePolling_slowFarFromARotation_closeAroundIt_onTheSamePhase() {
    Duration interval = RefreshPolicy.DEFAULT_REFRESH_INTERVAL;
    Instant phase = NOW.plusSeconds(17);
    Instant rotation = NOW.plus(Duration.ofDays(3));
    Instant far = planner.nextPollBase(phase, NOW.plus(interval.dividedBy(2)), NOW, rotation);
    assertThat(Duration.between(NOW, far)).as("far from the rotation: up to 12 intervals apart")
        .isGreaterThan(interval.multipliedBy(11)).isLessThanOrEqualTo(interval.multipliedBy(13));
    assertThat(Duration.between(phase, far).toNanos() % interval.toNanos()).isZero();

    Instant justBefore = rotation.minus(interval.dividedBy(2));
    Instant close = planner.nextPollBase(phase, justBefore.plus(interval.dividedBy(2)), justBefore, rotation);
    assertThat(Duration.between(justBefore, close)).as("around the rotation: five polls per interval")
        .isLessThanOrEqualTo(interval.dividedBy(5));
    assertThat(Duration.between(phase, close).toNanos() % interval.dividedBy(5).toNanos()).isZero();

    Instant after = rotation.plus(interval.multipliedBy(3));
    Instant normal = planner.nextPollBase(phase, after.plus(interval.dividedBy(2)), after, rotation);
    assertThat(normal).isEqualTo(planner.nextPollBase(phase, after.plus(interval.dividedBy(2))));
    assertThat(planner.nextPollBase(phase, NOW.plus(interval.dividedBy(2)), NOW, null))
        .isEqualTo(planner.nextPollBase(phase, NOW.plus(interval.dividedBy(2))));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 10, 45})
  void renewal_leavesRoomForAReplacement_ifItComesBackShort(int secondsBeyondEnd) {
    // the max end is known and within reach of the renewal: it may come back short
    Duration ttl = Duration.ofSeconds(60);
    Instant end = NOW.plus(ttl);
    Instant maxEnd = end.plusSeconds(secondsBeyondEnd);
    Duration attempt = planner.attemptTimeout(ttl); // 6 s
    Instant latest = planner.latestReplacement(maxEnd, ttl).minus(attempt); // max end - 30 s - 6 s
    List<Instant> draws = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      draws.add(planner.renewalWithRoom(NOW, end, ttl, false, attempt, maxEnd));
    }
    assertThat(draws).allSatisfy(t -> assertThat(t).isAfter(NOW).isBeforeOrEqualTo(latest));
    assertThat(draws.stream().filter(latest::equals).count()).as("drawn over a window, not clamped").isLessThan(5);
  }

  @ParameterizedTest
  @CsvSource({"60, -1", "60, 300", "60, 61", "600, -1", "600, 3600", "3600, -1"})
  void renewal_farFromTheMaxTtl_staysAtTheRefreshRatio(int ttlSeconds, int maxEndSeconds) {
    // no max TTL known (-1), or the renewal cannot reach it: no renewal is pulled forward
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    Instant end = NOW.plus(ttl);
    Instant maxEnd = maxEndSeconds < 0 ? null : NOW.plusSeconds(maxEndSeconds + ttlSeconds);
    Duration attempt = planner.attemptTimeout(ttl);
    for (int i = 0; i < 500; i++) {
      assertThat(planner.renewalWithRoom(NOW, end, ttl, false, attempt, maxEnd))
          .isBetween(NOW.plus(RefreshPlanner.scale(ttl, 0.6)), NOW.plus(RefreshPlanner.scale(ttl, 0.734)));
    }
  }

  @ParameterizedTest
  @CsvSource({"1, 60", "1, 600", "2, 600", "3, 3600", "4, 86400"})
  void firstReplacement_isUniformOverTheWholeSpan_laterOnesKeepTheirPhase(long seed, int ttlSeconds) {
    RefreshPlanner seeded = new RefreshPlanner(RefreshPolicy.ofDefaults(), new Random(seed));
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    Instant end = NOW.plus(ttl);
    Instant latest = seeded.latestReplacement(end, ttl);
    Duration span = Duration.between(NOW, latest);
    int[] quarters = new int[4];
    for (int i = 0; i < 2000; i++) {
      Instant t = seeded.replacement(NOW, end, ttl, true);
      assertThat(t).isBetween(NOW, latest);
      quarters[(int) Math.min(3, Duration.between(NOW, t).toNanos() * 4 / span.toNanos())]++;
    }
    // uniform over [now, latest]: each quarter of the span gets about a quarter of the draws
    assertThat(java.util.Arrays.stream(quarters).boxed().toList()).allSatisfy(q -> assertThat(q).isBetween(400, 600));
    // a later replacement sits at the refresh ratio of its own lease: never earlier than the jitter band
    for (int i = 0; i < 500; i++) {
      assertThat(seeded.replacement(NOW, end, ttl, false))
          .isAfterOrEqualTo(NOW.plus(RefreshPlanner.scale(span, 1 - 2 * 0.1 / 1.1)).minusNanos(1))
          .isBeforeOrEqualTo(latest);
    }
  }

  @ParameterizedTest
  @CsvSource({"1, 600", "2, 3600", "3, 86400"})
  void firstReplacementOfAFixedLease_isUniformOverOneReplacementPeriod_soGenerationsTile(long seed, int ttlSeconds) {
    RefreshPlanner seeded = new RefreshPlanner(RefreshPolicy.ofDefaults(), new Random(seed));
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    Instant end = NOW.plus(ttl);
    // later replacements are drawn over [windowEnd - width, windowEnd]: their mean is one period
    List<Duration> later = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      later.add(Duration.between(NOW, seeded.replacement(NOW, end, ttl, false)));
    }
    Duration period = Duration.ofNanos((long) later.stream().mapToLong(Duration::toNanos).average().orElseThrow());
    int[] quarters = new int[4];
    for (int i = 0; i < 2000; i++) {
      Duration d = Duration.between(NOW, seeded.firstReplacement(NOW, end, ttl));
      assertThat(d).isBetween(Duration.ZERO, period.plus(period.dividedBy(100)));
      quarters[(int) Math.min(3, d.toNanos() * 4 / period.toNanos())]++;
    }
    assertThat(java.util.Arrays.stream(quarters).boxed().toList()).allSatisfy(q -> assertThat(q).isBetween(400, 600));
  }

  @Test
  void cycleBackoff_ofALeaseWithTimeToSpare_spreadsOverThreeQuartersOfTheTimeLeft_nearItsEndUsesTheCap() {
    Duration timeout = Duration.ofSeconds(10);
    Instant expiry = NOW.plus(Duration.ofMinutes(10));
    Duration room = Duration.between(NOW, expiry.minus(timeout));
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      waits.add(planner.cycleBackoff(1, NOW, expiry, timeout, false));
    }
    assertThat(waits).allSatisfy(w -> assertThat(w).isBetween(Duration.ZERO, room.multipliedBy(3).dividedBy(4)));
    assertThat(waits.stream().filter(w -> w.compareTo(room.multipliedBy(3).dividedBy(8)) < 0).count()).isBetween(140L, 260L);
    assertThat(planner.unhurried(NOW, expiry)).isTrue();
    assertThat(planner.unhurried(NOW, null)).isTrue();
    Instant soon = NOW.plus(RefreshPolicy.DEFAULT_RECOVERY_INTERVAL.multipliedBy(4));
    assertThat(planner.unhurried(NOW, soon)).isFalse();
    assertThat(planner.cycleBackoff(1, NOW, soon, timeout, false)).isLessThanOrEqualTo(RefreshPolicy.DEFAULT_RECOVERY_INTERVAL.dividedBy(8));
  }

  @ParameterizedTest
  @CsvSource({"1, 1000", "2, 2000", "3, 4000", "4, 8000", "5, 16000", "6, 30000", "9, 30000"})
  void defaultRetryBackoff_isExponentialWithHalfRandomSpread_fromThePlannersRandom(int attempt, long baseMillis) {
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      millis.add(planner.defaultRetryBackoff(attempt).toMillis());
    }
    assertThat(millis).allSatisfy(m -> assertThat(m).isBetween(baseMillis / 2, Math.min(30_000, baseMillis * 3 / 2)));
    assertThat(millis.stream().distinct().count()).isGreaterThan(100);
  }
}
