package io.github.rotate4j.aws;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerServiceClientConfiguration;
import software.amazon.awssdk.services.secretsmanager.model.APIErrorType;
import software.amazon.awssdk.services.secretsmanager.model.BatchGetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.BatchGetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.RotationRulesType;
import software.amazon.awssdk.services.secretsmanager.model.SecretValueEntry;

/**
 * The secrets of one application instance, rotated on a manual clock, answering
 * {@code DescribeSecret}, {@code GetSecretValue} and {@code BatchGetSecretValue} (by id list, at
 * most {@value #MAX_IDS} ids, pages of {@link #pageSize} entries chained by {@code NextToken}) the
 * way Secrets Manager does, and counting the calls by operation.
 *
 * <p>Each secret rotates at unscheduled instants (a Poisson process with the given mean interval:
 * someone calls {@code RotateSecret} by hand), and, with a monthly schedule, at a uniformly random
 * instant of each window that opens at midnight UTC on the first of a month
 * ({@code cron(0 0 1 * ? *)}, {@code Duration} 3h). Rotations happen lazily: the state a call sees
 * is the state at its instant. Every rotation is recorded with its instant, kind and new version.
 * Not thread-safe (the simulation is single-threaded).
 */
final class FleetSecretsClient implements SecretsManagerClient {

  static final int MAX_IDS = 20;
  static final Duration WINDOW = Duration.ofHours(3);

  enum Operation { DESCRIBE_SECRET, GET_SECRET_VALUE, BATCH_GET_SECRET_VALUE }

  /** One rotation of one secret: the instant AWS made the new version current. */
  record Rotation(String secretId, Instant at, boolean scheduled, String newVersion) {}

  private final Clock clock;
  private final SplittableRandom random;
  private final @Nullable Duration meanBetweenUnscheduled;
  private final boolean monthlySchedule;
  private final Map<String, Secret> secrets = new LinkedHashMap<>();
  private final Map<Operation, Long> calls = new EnumMap<>(Operation.class);
  private final List<Rotation> rotations = new ArrayList<>();
  private int pageSize = MAX_IDS;

  /**
   * @param meanBetweenUnscheduled the mean time between unscheduled rotations of each secret; null for none
   * @param monthlySchedule whether each secret also rotates in a 3-hour window on the first of every month
   */
  FleetSecretsClient(Clock clock, long seed, List<String> secretIds, @Nullable Duration meanBetweenUnscheduled,
      boolean monthlySchedule) {
    this.clock = clock;
    this.random = new SplittableRandom(seed);
    this.meanBetweenUnscheduled = meanBetweenUnscheduled;
    this.monthlySchedule = monthlySchedule;
    for (Operation op : Operation.values()) {
      calls.put(op, 0L);
    }
    Instant now = clock.instant();
    for (String id : secretIds) {
      secrets.put(id, new Secret(id, now));
    }
  }

  /** Entries per page of a batch answer (AWS returns up to 20 for an id list). */
  FleetSecretsClient pageSize(int entries) {
    this.pageSize = entries;
    return this;
  }

  long calls(Operation op) {
    return calls.get(op);
  }

  /** The rotations made so far, by every secret, in the order they were applied. */
  List<Rotation> rotations() {
    secrets.values().forEach(Secret::rotateIfDue);
    return List.copyOf(rotations);
  }

  @Override
  public DescribeSecretResponse describeSecret(DescribeSecretRequest request) {
    count(Operation.DESCRIBE_SECRET);
    Secret s = secret(request.secretId());
    DescribeSecretResponse.Builder b = DescribeSecretResponse.builder()
        .arn(s.arn())
        .name(s.id)
        .lastRotatedDate(s.lastRotated)
        .versionIdsToStages(Map.of(s.current, List.of(AwsSecretsManagerProvider.AWSCURRENT), s.previous,
            List.of(AwsSecretsManagerProvider.AWSPREVIOUS)));
    if (monthlySchedule) {
      b.rotationEnabled(true)
          .rotationRules(RotationRulesType.builder().scheduleExpression("cron(0 0 1 * ? *)").duration(WINDOW.toHours() + "h")
              .automaticallyAfterDays(31L).build())
          .nextRotationDate(s.windowStart);
    } else {
      b.rotationEnabled(false);
    }
    return b.build();
  }

  @Override
  public GetSecretValueResponse getSecretValue(GetSecretValueRequest request) {
    count(Operation.GET_SECRET_VALUE);
    Secret s = secret(request.secretId());
    String version = request.versionId() != null ? request.versionId() : s.current;
    Instant at = s.created.get(version);
    if (at == null) {
      throw ResourceNotFoundException.builder().message("Secrets Manager can't find the specified secret value for VersionId: "
          + version).statusCode(400).build();
    }
    return GetSecretValueResponse.builder().arn(s.arn()).name(s.id).versionId(version)
        .versionStages(s.stages(version)).secretString("value-of-" + version).createdDate(at).build();
  }

  @Override
  public BatchGetSecretValueResponse batchGetSecretValue(BatchGetSecretValueRequest request) {
    count(Operation.BATCH_GET_SECRET_VALUE);
    List<String> ids = request.secretIdList();
    if (ids.isEmpty() || ids.size() > MAX_IDS || request.hasFilters()) {
      throw InvalidParameterException.builder().message("SecretIdList takes 1 to " + MAX_IDS + " ids and no Filters, but had "
          + ids.size()).statusCode(400).build();
    }
    int from = request.nextToken() == null ? 0 : Integer.parseInt(request.nextToken());
    int to = Math.min(ids.size(), from + pageSize);
    List<SecretValueEntry> entries = new ArrayList<>();
    List<APIErrorType> errors = new ArrayList<>();
    for (String id : ids.subList(from, to)) {
      Secret s = secrets.get(id);
      if (s == null) {
        errors.add(APIErrorType.builder().secretId(id).errorCode("ResourceNotFoundException")
            .message("Secrets Manager can't find the specified secret.").build());
        continue;
      }
      s.rotateIfDue();
      entries.add(SecretValueEntry.builder().arn(s.arn()).name(s.id).versionId(s.current)
          .versionStages(s.stages(s.current)).secretString("value-of-" + s.current).createdDate(s.created.get(s.current))
          .build());
    }
    return BatchGetSecretValueResponse.builder().secretValues(entries).errors(errors)
        .nextToken(to < ids.size() ? Integer.toString(to) : null).build();
  }

  private void count(Operation op) {
    calls.merge(op, 1L, Long::sum);
  }

  private Secret secret(String id) {
    Secret s = secrets.get(id);
    if (s == null) {
      throw ResourceNotFoundException.builder().message("Secrets Manager can't find the specified secret.").statusCode(400).build();
    }
    s.rotateIfDue();
    return s;
  }

  private static Instant firstOfNextMonth(Instant after) {
    ZonedDateTime t = after.atZone(ZoneOffset.UTC);
    return t.withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC).plusMonths(1).toInstant();
  }

  private final class Secret {
    final String id;
    final Map<String, Instant> created = new LinkedHashMap<>();
    String current;
    String previous;
    Instant lastRotated;
    Instant windowStart;
    Instant scheduledAt;
    Instant unscheduledAt;
    int versions;

    Secret(String id, Instant now) {
      this.id = id;
      this.previous = newVersion(now.minus(Duration.ofDays(60)));
      this.current = newVersion(now.minus(Duration.ofDays(30)));
      this.lastRotated = created.get(current);
      this.windowStart = firstOfNextMonth(now);
      this.scheduledAt = drawInWindow(windowStart);
      this.unscheduledAt = nextUnscheduled(now);
    }

    String arn() {
      return "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + id + "-AbCdEf";
    }

    List<String> stages(String version) {
      return version.equals(current) ? List.of(AwsSecretsManagerProvider.AWSCURRENT)
          : version.equals(previous) ? List.of(AwsSecretsManagerProvider.AWSPREVIOUS) : List.of();
    }

    private String newVersion(Instant at) {
      String version = String.format("%08x-%04x-4000-8000-000000000000", id.hashCode() & 0x7fffffff, ++versions);
      created.put(version, at);
      return version;
    }

    private Instant drawInWindow(Instant start) {
      return start.plusMillis((long) (random.nextDouble() * WINDOW.toMillis()));
    }

    private Instant nextUnscheduled(Instant after) {
      if (meanBetweenUnscheduled == null) {
        return Instant.MAX;
      }
      double exponential = -Math.log(1 - random.nextDouble()) * meanBetweenUnscheduled.toMillis();
      return after.plusMillis(Math.max(1, (long) exponential));
    }

    /** Applies every rotation due by now, in order. */
    void rotateIfDue() {
      Instant now = clock.instant();
      while (true) {
        boolean scheduled = monthlySchedule && !scheduledAt.isAfter(unscheduledAt);
        Instant at = scheduled ? scheduledAt : unscheduledAt;
        if (now.isBefore(at)) {
          return;
        }
        previous = current;
        current = newVersion(at);
        lastRotated = at;
        rotations.add(new Rotation(id, at, scheduled, current));
        if (scheduled) {
          windowStart = firstOfNextMonth(at);
          scheduledAt = drawInWindow(windowStart);
        } else {
          unscheduledAt = nextUnscheduled(at);
        }
      }
    }
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
