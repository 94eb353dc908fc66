package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;

/** The Secrets Manager rotation store against a real moto server, driven by a {@link Rotator}. */
@ExtendWith(MotoServerExtension.class)
class SecretsManagerSecretStoreIT {

  static final String SECRET = "payments/api-key";
  static final Duration GRACE = Duration.ofHours(1);
  static final Duration DISTRIBUTION = Duration.ofMinutes(5);

  final MotoServer moto;
  final ManualTime time = ManualTime.create();
  final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  final SecretValue firstKey = SecretValue.ofString("first-key-9c1d");
  SecretsManagerClient admin;
  AwsSecretsManagerProvider consumer;
  String firstVersion;
  String firstKeyId;
  Rotator rotator;

  SecretsManagerSecretStoreIT(MotoServer moto) {
    this.moto = moto;
  }

  @BeforeEach
  void setUp() {
    admin = moto.newClient();
    consumer = moto.provider(SECRET).build();
    firstVersion = admin.createSecret(r -> r.name(SECRET).secretString("first-key-9c1d")).versionId();
    firstKeyId = issuer.register(firstKey);
    rotator = rotator(KeyVerifier.of(issuer::accepts));
  }

  Rotator rotator(KeyVerifier verifier) {
    return Rotator.builder(SecretsManagerSecretStore.of(admin, SECRET), issuer)
        .clock(time.clock()).gracePeriod(GRACE).distributionDelay(DISTRIBUTION).verifier(verifier).build();
  }

  @AfterEach
  void tearDown() {
    consumer.close();
    admin.close();
  }

  FetchResult consumerView() {
    return consumer.fetch(FetchContext.startup("payments"));
  }

  Map<String, List<String>> stages() {
    return admin.describeSecret(r -> r.secretId(SECRET)).versionIdsToStages();
  }

  Map<String, String> tags() {
    DescribeSecretResponse d = admin.describeSecret(r -> r.secretId(SECRET));
    return d.tags().stream().collect(java.util.stream.Collectors.toMap(t -> t.key(), t -> t.value()));
  }

  @Test
  void fullRotation_pendingThenCurrentWithPreviousThenPreviousRetired() {
    RotationResult staged = rotator.rotate();

    assertThat(staged.outcome()).isEqualTo(Outcome.DISTRIBUTING);
    String rotationId = staged.rotationId().orElseThrow();
    assertThat(stages().get(rotationId)).containsExactly("AWSPENDING");
    FetchResult pending = consumerView();
    assertThat(pending.current().version()).isEqualTo(firstVersion);
    assertThat(pending.pending().orElseThrow().version()).isEqualTo(rotationId);
    assertThat(tags()).containsEntry("rotation_id", rotationId).containsEntry("rotation_phase", "DISTRIBUTE");

    time.advance(DISTRIBUTION);
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.IN_GRACE);

    FetchResult inGrace = consumerView();
    assertThat(inGrace.current().version()).isEqualTo(rotationId);
    assertThat(inGrace.previous()).extracting(c -> c.version()).containsExactly(firstVersion);
    assertThat(inGrace.pending()).isEmpty();
    assertThat(tags()).containsEntry("rotated_at", time.now().toString())
        .containsEntry("next_rotation", time.now().plus(Rotator.DEFAULT_FREQUENCY).toString());
    assertThat(issuer.isLive(firstKeyId)).isTrue();

    time.advance(GRACE);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);

    assertThat(issuer.isLive(firstKeyId)).isFalse();
    assertThat(stages().get(firstVersion)).isEmpty();
    assertThat(consumerView().previous()).isEmpty();
    assertThat(issuer.liveKeyIds()).hasSize(1);
  }

  @Test
  void failedVerification_leavesNothingPending() {
    RotationResult r = Rotator.builder(SecretsManagerSecretStore.of(admin, SECRET), issuer).clock(time.clock())
        .verifier(KeyVerifier.of(key -> false)).build().rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.VERIFY_FAILED);
    assertThat(stages()).allSatisfy((version, labels) -> assertThat(labels).doesNotContain("AWSPENDING"));
    assertThat(consumerView().current().version()).isEqualTo(firstVersion);
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void manualRollback_movesAwsCurrentBack() {
    rotator.rotate();
    time.advance(DISTRIBUTION);
    String rotationId = rotator.rotate().rotationId().orElseThrow();

    assertThat(rotator.rollback().outcome()).isEqualTo(Outcome.ROLLED_BACK);

    assertThat(stages().get(firstVersion)).contains("AWSCURRENT");
    assertThat(stages().get(rotationId)).containsExactly("AWSPREVIOUS");
    assertThat(consumerView().current().secretString()).isEqualTo("first-key-9c1d");
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
    assertThat(tags()).doesNotContainKey("rotated_at");
  }

  @Test
  void stuckPendingFromAnOlderRotation_isReportedAndNothingIsIssued() {
    String stuck = UUID.randomUUID().toString();
    admin.putSecretValue(r -> r.secretId(SECRET).clientRequestToken(stuck).secretString("half-rotated")
        .versionStages("AWSPENDING"));

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.NEEDS_ATTENTION);
    assertThat(r.message()).contains(stuck).contains("never finished");
    assertThat(issuer.allKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void labelsMovedByHandDuringRotation_makePromotionLose() {
    rotator.rotate();
    String other = UUID.randomUUID().toString();
    admin.putSecretValue(r -> r.secretId(SECRET).clientRequestToken(other).secretString("set-by-hand"));
    time.advance(DISTRIBUTION);

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(r.message()).contains("AWSCURRENT is on version " + other);
    assertThat(consumerView().current().secretString()).isEqualTo("set-by-hand");
  }
}
