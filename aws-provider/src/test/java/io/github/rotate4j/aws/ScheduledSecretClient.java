package io.github.rotate4j.aws;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerServiceClientConfiguration;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.RotationRulesType;

/**
 * One secret rotated by Secrets Manager on a monthly schedule ({@code cron(0 0 1 * ? *)}, window
 * {@code 3h} unless told otherwise) at a random instant inside each window, answering {@code DescribeSecret} and
 * {@code GetSecretValue} the way AWS does, on a manual clock. Rotations happen lazily: the state a
 * call sees is the state at its instant. Counts the calls. Not thread-safe (the simulation is single-threaded).
 */
final class ScheduledSecretClient implements SecretsManagerClient {

  static final String NAME = "app/db";
  static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf";
  static final int DEFAULT_WINDOW_HOURS = 3;

  private final Clock clock;
  /** Where in each window the rotation happens, as a share of the window in [0, 1). */
  private final DoubleSupplier shareOfWindow;
  /** The window's length; reported as {@code Duration} unless it is the whole UTC day (AWS's default for a schedule in days). */
  private final int windowHours;
  /** How often windows open: {@code null} for monthly ({@code cron(0 0 1 * ? *)}), else {@code rate(N hours)} from midnight UTC. */
  private final @Nullable Duration every;
  private final AtomicLong calls = new AtomicLong();
  private final Map<String, Instant> created = new LinkedHashMap<>();
  private final List<Instant> rotations = new ArrayList<>();
  private String current;
  private String previous;
  private Instant windowStart;
  private Instant rotationAt;
  private Instant lastRotated;
  private int versions;

  /** Rotations at uniformly random instants of each window. */
  ScheduledSecretClient(Clock clock, long seed) {
    this(clock, new SplittableRandom(seed)::nextDouble, DEFAULT_WINDOW_HOURS);
  }

  /** Rotations at uniformly random instants of each window of {@code windowHours} (24: no {@code Duration}). */
  ScheduledSecretClient(Clock clock, long seed, int windowHours) {
    this(clock, new SplittableRandom(seed)::nextDouble, windowHours);
  }

  /** Rotations at the given share of each window (0.9: 2 h 42 min into a 3 h window). */
  ScheduledSecretClient(Clock clock, DoubleSupplier shareOfWindow, int windowHours) {
    this(clock, shareOfWindow, windowHours, null);
  }

  /**
   * Rotations at uniformly random instants of windows that open {@code every} so many hours from
   * midnight UTC ({@code rate(N hours)}, AWS's default one-hour window, no {@code Duration}).
   */
  static ScheduledSecretClient everyHours(Clock clock, long seed, int hours) {
    return new ScheduledSecretClient(clock, new SplittableRandom(seed)::nextDouble, 1, Duration.ofHours(hours));
  }

  private ScheduledSecretClient(Clock clock, DoubleSupplier shareOfWindow, int windowHours, @Nullable Duration every) {
    this.clock = clock;
    this.shareOfWindow = shareOfWindow;
    this.windowHours = windowHours;
    this.every = every;
    Instant now = clock.instant();
    this.previous = newVersion(now.minusSeconds(86_400L * 60));
    this.current = newVersion(now.minusSeconds(86_400L * 30));
    this.lastRotated = created.get(current);
    this.windowStart = nextWindowStart(now);
    this.rotationAt = drawInWindow(windowStart);
  }

  private String newVersion(Instant at) {
    String id = String.format("%08d-0000-4000-8000-000000000000", ++versions);
    created.put(id, at);
    return id;
  }

  private Instant nextWindowStart(Instant after) {
    if (every == null) {
      return firstOfNextMonth(after);
    }
    Instant t = after.truncatedTo(ChronoUnit.DAYS);
    while (!t.isAfter(after)) {
      t = t.plus(every);
    }
    return t;
  }

  private static Instant firstOfNextMonth(Instant now) {
    ZonedDateTime t = now.atZone(ZoneOffset.UTC);
    return t.withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC).plusMonths(1).toInstant();
  }

  private Instant drawInWindow(Instant start) {
    return start.plusMillis((long) (shareOfWindow.getAsDouble() * windowHours * 3_600_000));
  }

  /** Applies every rotation due by now. */
  private void rotateIfDue() {
    Instant now = clock.instant();
    while (!now.isBefore(rotationAt)) {
      previous = current;
      current = newVersion(rotationAt);
      lastRotated = rotationAt;
      rotations.add(rotationAt);
      windowStart = nextWindowStart(rotationAt);
      rotationAt = drawInWindow(windowStart);
    }
  }

  /** The instants of the rotations made so far. */
  List<Instant> rotations() {
    rotateIfDue();
    return List.copyOf(rotations);
  }

  long calls() {
    return calls.get();
  }

  @Override
  public DescribeSecretResponse describeSecret(DescribeSecretRequest request) {
    calls.incrementAndGet();
    rotateIfDue();
    return DescribeSecretResponse.builder()
        .arn(ARN)
        .name(NAME)
        .rotationEnabled(true)
        .rotationRules(every == null
            ? RotationRulesType.builder().scheduleExpression("cron(0 0 1 * ? *)").duration(windowHours == 24 ? null : windowHours + "h")
                .automaticallyAfterDays(31L).build()
            : RotationRulesType.builder().scheduleExpression("rate(" + every.toHours() + " hours)").build())
        .nextRotationDate(windowStart)
        .lastRotatedDate(lastRotated)
        .versionIdsToStages(Map.of(current, List.of(AwsSecretsManagerProvider.AWSCURRENT), previous,
            List.of(AwsSecretsManagerProvider.AWSPREVIOUS)))
        .build();
  }

  @Override
  public GetSecretValueResponse getSecretValue(GetSecretValueRequest request) {
    calls.incrementAndGet();
    rotateIfDue();
    Instant at = created.get(request.versionId());
    if (at == null) {
      throw ResourceNotFoundException.builder().message("no version " + request.versionId()).build();
    }
    return GetSecretValueResponse.builder().arn(ARN).name(NAME).versionId(request.versionId())
        .secretString("value-of-" + request.versionId()).createdDate(at).build();
  }

  @Override
  public SecretsManagerServiceClientConfiguration serviceClientConfiguration() {
    return SecretsManagerServiceClientConfiguration.builder().region(Region.EU_WEST_1).build();
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}
}
