package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.aws.FleetSecretsClient.Operation;
import io.github.rotate4j.aws.FleetSecretsClient.Rotation;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The AWS figures of docs/COST.md, measured with the real engine, the real
 * {@link AwsSecretsManagerProvider} and the real {@link SecretsManagerChangeWatch} on one manual
 * clock: {@value #INSTANCES} application instances with {@value #SECRETS} secrets each (one
 * {@link CredentialRegistry} and one {@link FleetSecretsClient} per instance), at the default refresh
 * policy (5 min ± 10 %), each credential with its own seeded random. Every secret is rotated by hand
 * at unscheduled instants, once a week on average (Poisson); with a monthly schedule it is also
 * rotated at a random instant of a 3-hour window on the first of each month.
 *
 * <p>Figures: calls per credential-hour by operation after start-up (the rotations' own calls
 * included), and the time from each rotation to the moment the credential serves a version at least
 * as new ({@link CredentialRotated} events, exact on the manual clock). Deterministic; prints its
 * figures.
 *
 * <p>Reference, AWS's {@code SecretCache} 2.0.0 at its defaults (docs/COST.md): 1.33 calls per
 * credential-hour; a change noticed after 18.7 to 23.3 min on average.
 */
class FleetCostSimulationTest {

  static final Instant START = Instant.parse("2031-01-05T07:13:00Z");
  static final int INSTANCES = 20;
  static final int SECRETS = 10;
  static final Duration UNSCHEDULED_EVERY = Duration.ofDays(7);
  static final Duration MAX_AGE = Duration.ofMinutes(5);
  static final Duration WEEK = Duration.ofDays(7);
  /** From January 5 to February 9: one monthly window (February 1), far polls on either side. */
  static final Duration MONTH = Duration.ofDays(35);
  static final double SECRET_CACHE_CALLS = 1.33;
  static final double SECRET_CACHE_NOTICE_MINUTES = 18.7;

  /** Time from a rotation to the credential serving it (or a newer version), in minutes. */
  record Notice(int count, double mean, double p95, double max) {
    static Notice of(List<Double> minutes) {
      double[] sorted = minutes.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      if (sorted.length == 0) {
        return new Notice(0, Double.NaN, Double.NaN, Double.NaN);
      }
      return new Notice(sorted.length, Arrays.stream(sorted).average().orElseThrow(),
          sorted[(int) Math.ceil(0.95 * sorted.length) - 1], sorted[sorted.length - 1]);
    }

    @Override
    public String toString() {
      return count == 0 ? "none" : String.format(Locale.ROOT, "%d, mean %.2f min, p95 %.2f, max %.2f", count, mean, p95, max);
    }
  }

  record Figures(Map<Operation, Double> callsPerCredentialHour, Notice unscheduled, Notice scheduled) {
    double total() {
      return callsPerCredentialHour.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    double of(Operation op) {
      return callsPerCredentialHour.get(op);
    }
  }

  /**
   * One simulated fleet.
   *
   * @param maxAge the change watch's max age; null for no watch
   * @param refreshInterval the credentials' poll interval; null for the default (5 min)
   */
  record Fleet(String title, int instances, int secrets, @Nullable Duration maxAge, boolean monthlySchedule,
      @Nullable Duration refreshInterval, Duration runFor) {
    static Fleet defaults(String title, Duration runFor) {
      return new Fleet(title, INSTANCES, SECRETS, null, false, null, runFor);
    }

    Fleet watch(Duration age) {
      return new Fleet(title, instances, secrets, age, monthlySchedule, refreshInterval, runFor);
    }

    Fleet withMonthlySchedule() {
      return new Fleet(title, instances, secrets, maxAge, true, refreshInterval, runFor);
    }

    Fleet instancesOf(int count, int perInstance) {
      return new Fleet(title, count, perInstance, maxAge, monthlySchedule, refreshInterval, runFor);
    }

    Fleet refreshInterval(Duration interval) {
      return new Fleet(title, instances, secrets, maxAge, monthlySchedule, interval, runFor);
    }
  }

  static Figures simulate(Fleet fleet) {
    long seed = 1;
    boolean monthlySchedule = fleet.monthlySchedule();
    Duration runFor = fleet.runFor();
    ManualTime time = ManualTime.startingAt(START);
    Map<String, List<CredentialRotated>> notices = new HashMap<>();
    CredentialListener listener = new CredentialListener() {
      @Override
      public void onRotated(CredentialRotated e) {
        notices.computeIfAbsent(e.credentialName(), k -> new ArrayList<>()).add(e);
      }
    };
    List<FleetSecretsClient> clients = new ArrayList<>();
    List<CredentialRegistry> registries = new ArrayList<>();
    for (int instance = 0; instance < fleet.instances(); instance++) {
      List<String> ids = secretIds(instance, fleet.secrets());
      FleetSecretsClient client = new FleetSecretsClient(time.clock(), seed * 1_000_003L + instance, ids, UNSCHEDULED_EVERY,
          monthlySchedule);
      Duration maxAge = fleet.maxAge();
      SecretsManagerChangeWatch changeWatch = maxAge == null
          ? null
          : SecretsManagerChangeWatch.builder(client).maxAge(maxAge).clock(time.clock()).build();
      Duration interval = fleet.refreshInterval();
      RefreshPolicy policy = interval == null ? RefreshPolicy.ofDefaults() : RefreshPolicy.custom().refreshInterval(interval).build();
      CredentialRegistry.Builder registry = CredentialRegistry.builder()
          .clock(time.clock())
          .scheduler(time.scheduler())
          .ioExecutor(ManualTime.directExecutor())
          .eventExecutor(ManualTime.directExecutor());
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        AwsSecretsManagerProvider.Builder provider = AwsSecretsManagerProvider.builder(id).client(client).clock(time.clock());
        if (changeWatch != null) {
          provider.changeWatch(changeWatch);
        }
        long credentialSeed = (seed * 1_000_003L + instance) * 101 + i;
        registry.register(id, provider.build(), b -> b
            .refreshPolicy(policy)
            .random(RandomGeneratorFactory.of("L64X128MixRandom").create(credentialSeed))
            .listener(listener));
      }
      clients.add(client);
      registries.add(registry.build());
    }
    registries.forEach(CredentialRegistry::start);
    Map<Operation, Long> atStart = count(clients);
    time.advance(runFor);
    Map<Operation, Long> atEnd = count(clients);
    registries.forEach(CredentialRegistry::close);

    double credentialHours = fleet.instances() * fleet.secrets() * (runFor.toMillis() / 3_600_000.0);
    Map<Operation, Double> perCredentialHour = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      perCredentialHour.put(op, (atEnd.get(op) - atStart.get(op)) / credentialHours);
    }
    List<Double> unscheduled = new ArrayList<>();
    List<Double> scheduled = new ArrayList<>();
    Instant settled = time.now().minus(Duration.ofHours(2));
    for (FleetSecretsClient client : clients) {
      Map<String, List<Rotation>> bySecret = new HashMap<>();
      client.rotations().forEach(r -> bySecret.computeIfAbsent(r.secretId(), k -> new ArrayList<>()).add(r));
      bySecret.forEach((secret, rotations) -> {
        int next = 0;
        for (CredentialRotated n : notices.getOrDefault(secret, List.of())) {
          int served = indexOf(rotations, n.newVersion());
          assertThat(served).as("%s serves %s, a version of a rotation", secret, n.newVersion()).isGreaterThanOrEqualTo(next);
          // a rotation overtaken by a newer one before it was seen is noticed with the newer one
          for (; next <= served; next++) {
            Rotation r = rotations.get(next);
            (r.scheduled() ? scheduled : unscheduled).add(Duration.between(r.at(), n.time()).toMillis() / 60_000.0);
          }
        }
        assertThat(rotations.subList(next, rotations.size()))
            .as("%s: every rotation made two hours before the end is served", secret)
            .allSatisfy(r -> assertThat(r.at()).isAfter(settled));
      });
    }
    Figures f = new Figures(perCredentialHour, Notice.of(unscheduled), Notice.of(scheduled));
    System.out.println(String.format(Locale.ROOT,
        "%s: %d instances x %d secrets, %d days, seed %d, poll %s +-10 %%: calls per credential-hour "
            + "%.3f (DescribeSecret %.3f, GetSecretValue %.3f, BatchGetSecretValue %.3f); "
            + "unscheduled rotations noticed: %s; scheduled: %s",
        fleet.title(), fleet.instances(), fleet.secrets(), runFor.toDays(), seed,
        fleet.refreshInterval() == null ? RefreshPolicy.DEFAULT_REFRESH_INTERVAL : fleet.refreshInterval(), f.total(), f.of(Operation.DESCRIBE_SECRET),
        f.of(Operation.GET_SECRET_VALUE), f.of(Operation.BATCH_GET_SECRET_VALUE), f.unscheduled(), f.scheduled()));
    return f;
  }

  private static List<String> secretIds(int instance, int secrets) {
    return IntStream.range(0, secrets).mapToObj(i -> "svc-" + instance + "/secret-" + i).toList();
  }

  private static int indexOf(List<Rotation> rotations, String version) {
    for (int i = 0; i < rotations.size(); i++) {
      if (rotations.get(i).newVersion().equals(version)) {
        return i;
      }
    }
    return -1;
  }

  private static Map<Operation, Long> count(List<FleetSecretsClient> clients) {
    Map<Operation, Long> sum = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      sum.put(op, clients.stream().mapToLong(c -> c.calls(op)).sum());
    }
    return sum;
  }

  @Test
  void defaults_withoutWatch_oneDescribeSecretPerPoll_noticedAfterHalfAnInterval() {
    Figures f = simulate(Fleet.defaults("defaults, no watch, unscheduled weekly rotations", WEEK));

    // 12 polls an hour, plus one GetSecretValue per rotation (a week apart: about 0.006 an hour)
    assertThat(f.of(Operation.DESCRIBE_SECRET)).isBetween(11.8, 12.3);
    assertThat(f.of(Operation.GET_SECRET_VALUE)).isBetween(0.002, 0.02);
    assertThat(f.of(Operation.BATCH_GET_SECRET_VALUE)).isZero();
    assertThat(f.unscheduled().count()).isGreaterThan(150);
    assertThat(f.unscheduled().mean()).isBetween(2.2, 2.8);
    // polls on a grid of 5 min, each within +-0.5 min of its point: two polls at most 6 min apart
    assertThat(f.unscheduled().max()).isLessThanOrEqualTo(6.0);
    assertThat(f.scheduled().count()).isZero();
  }

  @Test
  void withChangeWatch_fewerCallsThanSecretCache_unscheduledRotationNoticedWithinAboutOneMaxAgeMore() {
    Figures f = simulate(Fleet.defaults("defaults, one change watch per instance (max age 5 min), unscheduled weekly rotations",
        WEEK).watch(MAX_AGE));

    assertThat(f.total()).isLessThan(SECRET_CACHE_CALLS);
    // about one batch per max age for the instance's ten secrets
    assertThat(f.of(Operation.BATCH_GET_SECRET_VALUE)).isBetween(1.0, 1.25);
    assertThat(f.unscheduled().count()).isGreaterThan(150);
    assertThat(f.unscheduled().mean()).isBetween(3.0, 6.0).isLessThan(SECRET_CACHE_NOTICE_MINUTES / 3);
    assertThat(f.unscheduled().max()).as("at most one max age and one poll interval").isLessThanOrEqualTo(5 + 5.5 + 0.5);
  }

  @Test
  void withChangeWatchAndMonthlySchedule_fewerCallsThanSecretCache_scheduledRotationNoticedTenTimesSooner() {
    Figures f = simulate(Fleet.defaults("one change watch per instance, monthly schedule (3 h window), unscheduled weekly "
        + "rotations", MONTH).watch(MAX_AGE).withMonthlySchedule());

    assertThat(f.total()).isLessThan(SECRET_CACHE_CALLS);
    assertThat(f.scheduled().count()).isEqualTo(INSTANCES * SECRETS);
    // as soon as without a watch: the checks across the window read directly
    assertThat(f.scheduled().mean()).isLessThan(SECRET_CACHE_NOTICE_MINUTES / 10).isLessThan(1.2);
    assertThat(f.scheduled().p95()).isLessThan(2.5);
    assertThat(f.of(Operation.DESCRIBE_SECRET)).as("the window's direct checks, once a month").isBetween(0.02, 0.1);
    // far from the window polls come hourly: a rotation by hand is noticed at the slow poll
    assertThat(f.unscheduled().count()).isGreaterThan(700);
    assertThat(f.unscheduled().mean()).isBetween(25.0, 40.0);
  }

  @Test
  void monthlySchedule_withoutWatch_forComparison() {
    Figures f = simulate(Fleet.defaults("no watch, monthly schedule (3 h window), unscheduled weekly rotations", MONTH)
        .withMonthlySchedule());

    assertThat(f.total()).isLessThan(SECRET_CACHE_CALLS);
    assertThat(f.scheduled().count()).isEqualTo(INSTANCES * SECRETS);
    assertThat(f.scheduled().mean()).isLessThan(SECRET_CACHE_NOTICE_MINUTES / 10);
  }

  /** A watch's batch covers its instance's secrets: the fewer they are, the more each credential pays. */
  @ParameterizedTest(name = "{0} instances x {1} secrets, max age {2}")
  @CsvSource({"100, 1, PT5M, 7.0, 8.5", "10, 20, PT5M, 0.5, 0.7", "20, 10, PT2M30S, 1.9, 2.3"})
  void withChangeWatch_batchCallsPerCredentialHour_bySecretsPerInstanceAndMaxAge(int instances, int perInstance,
      Duration maxAge, double atLeast, double atMost) {
    Figures f = simulate(Fleet.defaults("one change watch per instance (max age " + maxAge + "), unscheduled weekly rotations",
        WEEK).instancesOf(instances, perInstance).watch(maxAge));

    assertThat(f.of(Operation.BATCH_GET_SECRET_VALUE)).isBetween(atLeast, atMost);
    // noticed within one max age and one poll interval (5 min + 0.5 min jitter on either side)
    assertThat(f.unscheduled().max()).isLessThanOrEqualTo(maxAge.toMillis() / 60_000.0 + 6.0);
    assertThat(f.unscheduled().mean()).isGreaterThan(2.2);
  }

  /** A longer poll interval without a watch: 60 / T calls an hour, noticed after T / 2. */
  @ParameterizedTest(name = "refreshInterval {0}")
  @CsvSource({"PT15M, 4", "PT1H, 1"})
  void longerRefreshInterval_withoutWatch_sixtyOverTCallsPerHour_noticedAfterHalfOfIt(Duration interval, double calls) {
    Figures f = simulate(Fleet.defaults("no watch, unscheduled weekly rotations", WEEK).refreshInterval(interval));

    double halfInterval = interval.toMillis() / 60_000.0 / 2;
    assertThat(f.of(Operation.DESCRIBE_SECRET)).isBetween(calls * 0.98, calls * 1.02);
    assertThat(f.unscheduled().mean()).isBetween(halfInterval * 0.85, halfInterval * 1.15);
  }

  /** The fake answers id lists of up to 20 in pages, as the watch asks for them; a watch of 25 secrets makes two calls. */
  @Test
  void fake_answersBatchesOfUpTo20Ids_inPagesTheWatchFollows() {
    ManualTime time = ManualTime.startingAt(START);
    List<String> ids = IntStream.range(0, 25).mapToObj(i -> "app/secret-" + i).toList();
    FleetSecretsClient client = new FleetSecretsClient(time.clock(), 1, ids, null, false).pageSize(7);
    SecretsManagerChangeWatch watch = SecretsManagerChangeWatch.builder(client).maxAge(MAX_AGE).clock(time.clock()).build();
    List<AwsSecretsManagerProvider> providers = ids.stream()
        .map(id -> AwsSecretsManagerProvider.builder(id).client(client).changeWatch(watch).clock(time.clock()).build())
        .toList();
    List<KeyRing> rings = providers.stream()
        .map(p -> p.fetch(FetchContext.startup(p.path())))
        .map(r -> KeyRing.of(r.current()))
        .toList();
    long describesAtStart = client.calls(Operation.DESCRIBE_SECRET);

    for (int i = 0; i < providers.size(); i++) {
      FetchContext poll = new FetchContext(ids.get(i), FetchReason.SCHEDULED, Optional.of(rings.get(i)));
      assertThat(providers.get(i).fetch(poll).current().version()).isEqualTo(rings.get(i).current().version());
    }

    // 20 ids in pages of 7, 7, 6, then 5 ids in one page
    assertThat(client.calls(Operation.BATCH_GET_SECRET_VALUE)).isEqualTo(4);
    assertThat(client.calls(Operation.DESCRIBE_SECRET)).isEqualTo(describesAtStart);
  }
}
