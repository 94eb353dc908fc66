package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
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
import software.amazon.awssdk.services.secretsmanager.model.InternalServiceErrorException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretValueEntry;

/** When a provider with a change watch skips its own calls, and when it must not. */
class SecretsManagerChangeWatchTest {

  private static final Duration MAX_AGE = Duration.ofMinutes(5);

  private final ManualTime time = ManualTime.create();
  private final FakeSecretsManager aws = new FakeSecretsManager();
  private final SecretsManagerChangeWatch watch =
      SecretsManagerChangeWatch.builder(aws).maxAge(MAX_AGE).clock(time.clock()).build();

  @Test
  void scheduledPolls_tenUnchangedSecrets_oneBatchPerMaxAgeAndNoDescribeSecret() {
    List<Polled> secrets = IntStream.range(0, 10).mapToObj(i -> polled("app/secret-" + i, "v1")).toList();

    // every secret polled once a minute for an hour: 600 polls
    for (int minute = 0; minute < 60; minute++) {
      for (Polled s : secrets) {
        FetchResult result = s.provider.fetch(s.scheduled());
        assertThat(result.current()).isSameAs(s.ring.current());
      }
      time.advance(Duration.ofMinutes(1));
    }

    assertThat(aws.batchCalls.get()).as("one batch per max age").isEqualTo(12);
    assertThat(aws.describeCalls.get()).isZero();
    assertThat(aws.getValueCalls.get()).isZero();
    assertThat(aws.batchIdsPerCall).allSatisfy(ids -> assertThat(ids).hasSize(10));
  }

  @Test
  void scheduledPoll_afterCurrentMoved_readsTheSecretDirectlyAndReturnsTheNewVersion() {
    Polled s = polled("app/db", "v1");
    Polled other = polled("app/api", "a1");
    s.provider.fetch(s.scheduled());
    aws.current.put("app/db", "v2");
    time.advance(MAX_AGE);

    FetchResult result = s.provider.fetch(s.scheduled());
    other.provider.fetch(other.scheduled());

    assertThat(result.current().version()).isEqualTo("v2");
    assertThat(aws.describeCalls.get()).as("only the changed secret").isEqualTo(1);
    assertThat(aws.getValueCalls.get()).isEqualTo(1);
    assertThat(aws.batchCalls.get()).isEqualTo(2);
  }

  @Test
  void scheduledPoll_withinMaxAge_usesTheLastObservationEvenIfTheSecretChangedSince() {
    Polled s = polled("app/db", "v1");
    s.provider.fetch(s.scheduled());
    aws.current.put("app/db", "v2");
    time.advance(MAX_AGE.minusSeconds(1));

    assertThat(s.provider.fetch(s.scheduled()).current().version()).isEqualTo("v1");
    time.advance(Duration.ofSeconds(1));
    assertThat(s.provider.fetch(s.scheduled()).current().version()).as("noticed within one max age").isEqualTo("v2");
  }

  @ParameterizedTest
  @EnumSource(value = FetchReason.class, names = {"STARTUP", "ON_DEMAND", "REJECTED"})
  void fetch_notScheduled_goesDirect(FetchReason reason) {
    Polled s = polled("app/db", "v1");

    s.provider.fetch(new FetchContext("db", reason, Optional.of(s.ring)));

    assertThat(aws.batchCalls.get()).isZero();
    assertThat(aws.describeCalls.get()).isEqualTo(1);
  }

  @Test
  void scheduledPoll_withoutKnownRing_goesDirect() {
    Polled s = polled("app/db", "v1");

    s.provider.fetch(new FetchContext("db", FetchReason.SCHEDULED, Optional.empty()));

    assertThat(aws.batchCalls.get()).isZero();
    assertThat(aws.describeCalls.get()).isEqualTo(1);
  }

  @Test
  void scheduledPoll_ringWithPendingVersion_goesDirect() {
    Polled s = polled("app/db", "v1");
    KeyRing withPending = KeyRing.of(List.of(
        new KeyRing.Entry(s.ring.current(), KeySlot.CURRENT, null),
        new KeyRing.Entry(credential("v2", null), KeySlot.PENDING, null)));

    s.provider.fetch(new FetchContext("db", FetchReason.SCHEDULED, Optional.of(withPending)));

    assertThat(aws.batchCalls.get()).isZero();
    assertThat(aws.describeCalls.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @CsvSource({
      "PT9M59S, true",   // within two poll intervals of the rotation
      "-PT1H,   true",   // rotation overdue and not seen yet
      "PT10M,   false",  // exactly the lead away: still far enough
      "P30D,    false"})
  void scheduledPoll_nearTheNextRotation_goesDirect(Duration untilRotation, boolean direct) {
    Polled s = polled("app/db", "v1");
    KeyRing ring = KeyRing.of(credential("v1", time.now().plus(untilRotation)));

    s.provider.fetch(new FetchContext("db", FetchReason.SCHEDULED, Optional.of(ring)));

    assertThat(aws.describeCalls.get()).isEqualTo(direct ? 1 : 0);
    assertThat(aws.batchCalls.get()).isEqualTo(direct ? 0 : 1);
  }

  @Test
  void scheduledPoll_secretMissingFromTheBatch_goesDirectWhileTheOthersDoNot() {
    Polled present = polled("app/api", "a1");
    Polled missing = polled("app/gone", "g1");
    aws.errors.put("app/gone", "ResourceNotFoundException");

    assertThat(present.provider.fetch(present.scheduled()).current().version()).isEqualTo("a1");
    assertThat(aws.describeCalls.get()).isZero();
    // the direct path then reports the secret as gone, as it would without a watch
    assertThatThrownBy(() -> missing.provider.fetch(missing.scheduled()))
        .hasMessageContaining("app/gone");
    assertThat(aws.describeCalls.get()).isEqualTo(1);
    assertThat(aws.batchCalls.get()).isEqualTo(1);
  }

  @Test
  void scheduledPoll_batchCallFails_pollSucceedsDirectlyAndTheBatchWaitsOneMaxAge() {
    Polled a = polled("app/a", "a1");
    Polled b = polled("app/b", "b1");
    aws.failBatch = true;

    assertThat(a.provider.fetch(a.scheduled()).current().version()).isEqualTo("a1");
    assertThat(b.provider.fetch(b.scheduled()).current().version()).isEqualTo("b1");
    time.advance(MAX_AGE.minusSeconds(1));
    a.provider.fetch(a.scheduled());
    assertThat(aws.batchCalls.get()).as("not retried before the max age").isEqualTo(1);
    assertThat(aws.describeCalls.get()).isEqualTo(3);

    aws.failBatch = false;
    time.advance(Duration.ofSeconds(1));
    a.provider.fetch(a.scheduled());
    b.provider.fetch(b.scheduled());
    assertThat(aws.batchCalls.get()).isEqualTo(2);
    assertThat(aws.describeCalls.get()).isEqualTo(3);
  }

  @Test
  void concurrentScheduledPolls_shareOneBatch() throws Exception {
    List<Polled> secrets = IntStream.range(0, 16).mapToObj(i -> polled("app/s" + i, "v1")).toList();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<FetchResult>> results = new ArrayList<>();
      for (Polled s : secrets) {
        results.add(pool.submit(() -> {
          go.await();
          return s.provider.fetch(s.scheduled());
        }));
      }
      go.countDown();
      for (int i = 0; i < secrets.size(); i++) {
        assertThat(results.get(i).get(30, TimeUnit.SECONDS).current()).isSameAs(secrets.get(i).ring.current());
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(aws.batchCalls.get()).isEqualTo(1);
    assertThat(aws.describeCalls.get()).isZero();
  }

  @Test
  void scheduledPoll_whileAnotherPollsBatchTakesLongerThanTheCallBound_readsDirectly() throws Exception {
    SecretsManagerChangeWatch bounded = SecretsManagerChangeWatch.builder(aws)
        .apiCallTimeout(Duration.ofMillis(50)).clock(time.clock()).build();
    aws.current.put("app/a", "a1");
    aws.current.put("app/b", "b1");
    AwsSecretsManagerProvider a = AwsSecretsManagerProvider.builder("app/a").client(aws).changeWatch(bounded).build();
    AwsSecretsManagerProvider b = AwsSecretsManagerProvider.builder("app/b").client(aws).changeWatch(bounded).build();
    FetchContext aPoll = new FetchContext("a", FetchReason.SCHEDULED, Optional.of(KeyRing.of(credential("a1", null))));
    FetchContext bPoll = new FetchContext("b", FetchReason.SCHEDULED, Optional.of(KeyRing.of(credential("b1", null))));
    CountDownLatch gate = new CountDownLatch(1);
    aws.batchGate = gate;
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<FetchResult> batching = pool.submit(() -> a.fetch(aPoll));
      assertThat(aws.batchStarted.await(30, TimeUnit.SECONDS)).isTrue();

      FetchResult direct = b.fetch(bPoll);
      assertThat(direct.current().version()).isEqualTo("b1");
      assertThat(aws.describeCalls.get()).as("b read its secret itself").isEqualTo(1);

      gate.countDown();
      assertThat(batching.get(30, TimeUnit.SECONDS).current().version()).isEqualTo("a1");
    } finally {
      gate.countDown();
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(aws.batchCalls.get()).isEqualTo(1);
    assertThat(aws.describeCalls.get()).as("a was answered by its batch").isEqualTo(1);
  }

  @Test
  void scheduledPoll_batchEntryWithoutAwsCurrentStage_goesDirect() {
    Polled s = polled("app/db", "v1");
    aws.stagesInBatch = List.of("AWSPREVIOUS");

    assertThat(s.provider.fetch(s.scheduled()).current().version()).isEqualTo("v1");

    assertThat(aws.batchCalls.get()).isEqualTo(1);
    assertThat(aws.describeCalls.get()).isEqualTo(1);
  }

  @Test
  void batch_moreThanTwentySecretsAndSeveralPages_readsThemAll() {
    List<Polled> secrets = IntStream.range(0, 45).mapToObj(i -> polled("app/s" + i, "v1")).toList();
    aws.pageSize = 15;

    secrets.forEach(s -> assertThat(s.provider.fetch(s.scheduled()).current().version()).isEqualTo("v1"));

    assertThat(aws.describeCalls.get()).isZero();
    // 20 + 20 + 5 ids, the full chunks in two pages each
    assertThat(aws.batchIdsPerCall).extracting(List::size).containsExactly(20, 20, 20, 20, 5);
    assertThat(aws.batchCalls.get()).isEqualTo(5);
  }

  @Test
  void closedProvider_leavesTheBatch_butASecretSharedWithAnOpenProviderStays() {
    Polled a = polled("app/a", "a1");
    Polled b = polled("app/b", "b1");
    AwsSecretsManagerProvider secondForA = AwsSecretsManagerProvider.builder("app/a").client(aws).changeWatch(watch).build();
    b.provider.close();
    secondForA.close();
    secondForA.close();

    a.provider.fetch(a.scheduled());

    assertThat(aws.batchIdsPerCall).containsExactly(List.of("app/a"));
    assertThat(watch.secretIds()).containsExactly("app/a");
  }

  @ParameterizedTest
  @CsvSource({
      "app/db, true",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf, true",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db, true",
      "app/d, false",
      "app/db-AbCdEf, false",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/d, false"})
  void matches_nameFullArnOrPartialArn(String id, boolean matches) {
    SecretValueEntry entry = SecretValueEntry.builder()
        .name("app/db")
        .arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf")
        .versionId("v1")
        .build();

    assertThat(SecretsManagerChangeWatch.matches(id, entry)).isEqualTo(matches);
  }

  @Test
  void scheduledPoll_secretRegisteredByArn_matchesTheEntryByArn() {
    String arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf";
    Polled s = polled(arn, "v1");

    assertThat(s.provider.fetch(s.scheduled()).current().version()).isEqualTo("v1");
    assertThat(aws.describeCalls.get()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"PT0S", "-PT1S"})
  void maxAge_notPositive_isRefusedWithTheValue(Duration bad) {
    assertThatThrownBy(() -> SecretsManagerChangeWatch.builder(aws).maxAge(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAge must be greater than 0, but was " + bad);
  }

  @Test
  void directBeforeRotation_negative_isRefusedWithTheValue() {
    assertThatThrownBy(() -> SecretsManagerChangeWatch.builder(aws).directBeforeRotation(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("directBeforeRotation must not be negative, but was PT-1S");
  }

  @Test
  void defaults_maxAgeIsTheDefaultPollInterval() {
    SecretsManagerChangeWatch defaults = SecretsManagerChangeWatch.create(aws);

    assertThat(defaults.maxAge()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.directBeforeRotation()).isEqualTo(Duration.ofMinutes(10));
    assertThat(SecretsManagerChangeWatch.DEFAULT_API_CALL_TIMEOUT).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void provider_watchOfAnotherClient_isRefused() {
    SecretsManagerChangeWatch foreign = SecretsManagerChangeWatch.create(new FakeSecretsManager());

    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("app/db").client(aws).changeWatch(foreign).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("app/db")
        .hasMessageContaining("another SecretsManagerClient");
    assertThat(foreign.secretIds()).isEmpty();
  }

  @Test
  void provider_watchWithoutClient_isRefused() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("app/db").region("us-east-1").changeWatch(watch).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("changeWatch");
    assertThat(watch.secretIds()).isEmpty();
  }

  private Polled polled(String secretId, String version) {
    aws.current.put(secretId, version);
    AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(secretId).client(aws).changeWatch(watch).build();
    return new Polled(provider, KeyRing.of(credential(version, null)));
  }

  private Credential credential(String version, @Nullable Instant nextRotation) {
    return Credential.builder(version).value(SecretValue.ofString("value-" + version)).issuedAt(time.now())
        .nextRotation(nextRotation).build();
  }

  private record Polled(AwsSecretsManagerProvider provider, KeyRing ring) {
    FetchContext scheduled() {
      return new FetchContext(provider.path(), FetchReason.SCHEDULED, Optional.of(ring));
    }
  }

  /** Answers from {@link #current} (secret id → AWSCURRENT version) and counts calls by operation. */
  static final class FakeSecretsManager implements SecretsManagerClient {
    final Map<String, String> current = new ConcurrentHashMap<>();
    final Map<String, String> errors = new ConcurrentHashMap<>();
    final AtomicInteger batchCalls = new AtomicInteger();
    final AtomicInteger describeCalls = new AtomicInteger();
    final AtomicInteger getValueCalls = new AtomicInteger();
    final List<List<String>> batchIdsPerCall = new CopyOnWriteArrayList<>();
    final CountDownLatch batchStarted = new CountDownLatch(1);
    volatile @Nullable CountDownLatch batchGate;
    volatile boolean failBatch;
    volatile List<String> stagesInBatch = List.of("AWSCURRENT");
    volatile int pageSize = Integer.MAX_VALUE;

    @Override
    public BatchGetSecretValueResponse batchGetSecretValue(BatchGetSecretValueRequest request) {
      batchCalls.incrementAndGet();
      batchIdsPerCall.add(request.secretIdList());
      batchStarted.countDown();
      CountDownLatch gate = batchGate;
      if (gate != null) {
        try {
          if (!gate.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the batch gate was not opened");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      if (failBatch) {
        throw InternalServiceErrorException.builder().message("service unavailable").statusCode(500).build();
      }
      int from = request.nextToken() == null ? 0 : Integer.parseInt(request.nextToken());
      List<String> ids = request.secretIdList();
      int to = Math.min(ids.size(), from + pageSize);
      List<SecretValueEntry> entries = new ArrayList<>();
      List<APIErrorType> errorEntries = new ArrayList<>();
      for (String id : ids.subList(from, to)) {
        if (errors.containsKey(id)) {
          errorEntries.add(APIErrorType.builder().secretId(id).errorCode(errors.get(id)).message("not found").build());
        } else {
          entries.add(SecretValueEntry.builder().name(nameOf(id)).arn(arnOf(id)).versionId(current.get(id))
              .versionStages(stagesInBatch).secretString("value-" + current.get(id)).build());
        }
      }
      return BatchGetSecretValueResponse.builder().secretValues(entries).errors(errorEntries)
          .nextToken(to < ids.size() ? Integer.toString(to) : null).build();
    }

    @Override
    public DescribeSecretResponse describeSecret(DescribeSecretRequest request) {
      describeCalls.incrementAndGet();
      String id = request.secretId();
      if (errors.containsKey(id)) {
        throw ResourceNotFoundException.builder().message("Secrets Manager can't find the specified secret.")
            .statusCode(400).build();
      }
      return DescribeSecretResponse.builder().name(nameOf(id)).arn(arnOf(id))
          .versionIdsToStages(Map.of(current.get(id), List.of("AWSCURRENT"))).build();
    }

    @Override
    public GetSecretValueResponse getSecretValue(GetSecretValueRequest request) {
      getValueCalls.incrementAndGet();
      return GetSecretValueResponse.builder().name(nameOf(request.secretId())).versionId(request.versionId())
          .versionStages("AWSCURRENT").secretString("value-" + request.versionId()).build();
    }

    private static String nameOf(String id) {
      return id.startsWith("arn:") ? id.substring(id.indexOf(":secret:") + 8, id.length() - 7) : id;
    }

    private static String arnOf(String id) {
      return id.startsWith("arn:") ? id : "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id + "-AbCdEf";
    }

    @Override
    public SecretsManagerServiceClientConfiguration serviceClientConfiguration() {
      return SecretsManagerServiceClientConfiguration.builder().region(Region.US_EAST_1).build();
    }

    @Override
    public String serviceName() {
      return SERVICE_NAME;
    }

    @Override
    public void close() {}
  }
}
