package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(DevServers.class)
class VaultKvSecretStoreIT {

  static final Duration GRACE = Duration.ofHours(1);
  static final Duration DISTRIBUTION = Duration.ofMinutes(5);

  final OpenBaoDevServer bao;
  final ManualTime time = ManualTime.create();
  final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  final SecretValue firstKey = SecretValue.ofString("first-key-4f1c2a");
  final AtomicBoolean verifyFails = new AtomicBoolean();
  VaultSession session;
  String secretPath;
  String firstKeyId;
  VaultKvSecretStore store;
  VaultKvProvider consumer;
  Rotator rotator;

  VaultKvSecretStoreIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  @BeforeEach
  void setUp() {
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
    secretPath = "it/rotated-" + UUID.randomUUID();
    bao.write("secret/data/" + secretPath, "{\"data\":{\"api_key\":\"first-key-4f1c2a\"}}");
    firstKeyId = issuer.register(firstKey);
    store = VaultKvSecretStore.of(session, "secret", secretPath);
    consumer = VaultKvProvider.of(session, "secret", secretPath);
    rotator = Rotator.builder(store, issuer)
        .clock(time.clock())
        .gracePeriod(GRACE)
        .distributionDelay(DISTRIBUTION)
        .verifier(KeyVerifier.of(key -> !verifyFails.get() && issuer.accepts(key)))
        .build();
  }

  @AfterEach
  void tearDown() {
    session.close();
  }

  private FetchResult consumerView() {
    return consumer.fetch(FetchContext.startup("payments-api-key"));
  }

  private JsonObject customMetadata() {
    return bao.read("secret/metadata/" + secretPath).get("data").asObject().get("custom_metadata").asObject();
  }

  @Test
  void fullRotation_stagesAsPendingPromotesWithPreviousReadableThenRevokesAndRetires() {
    RotationResult staged = rotator.rotate();

    assertThat(staged.outcome()).isEqualTo(Outcome.DISTRIBUTING);
    FetchResult duringStage = consumerView();
    assertThat(duringStage.current().version()).as("no unverified key is current").isEqualTo("1");
    assertThat(duringStage.current().secretMap()).containsEntry("api_key", "first-key-4f1c2a");
    assertThat(duringStage.pending()).as("a Rotate4j consumer sees the staged key as pending").isPresent();
    String newKey = duringStage.pending().get().secretMap().get("api_key");
    assertThat(issuer.accepts(SecretValue.ofString(newKey))).isTrue();
    assertThat(customMetadata().get("rotation_phase").asString()).isEqualTo("DISTRIBUTE");

    time.advance(DISTRIBUTION);
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.IN_GRACE);

    FetchResult inGrace = consumerView();
    assertThat(inGrace.current().version()).isEqualTo("2");
    assertThat(inGrace.current().secretMap()).containsEntry("api_key", newKey);
    assertThat(inGrace.previous()).singleElement().satisfies(p -> {
      assertThat(p.version()).isEqualTo("1");
      assertThat(p.secretMap()).containsEntry("api_key", "first-key-4f1c2a");
    });
    assertThat(inGrace.pending()).isEmpty();
    assertThat(inGrace.current().nextRotation()).contains(time.now().plus(Rotator.DEFAULT_FREQUENCY));
    assertThat(customMetadata().get("rotated_at").asString()).isEqualTo(time.now().toString());
    assertThat(customMetadata().get("rotation_phase").asString()).isEqualTo("GRACE");
    assertThatThrownBy(() -> bao.api("GET", "secret/metadata/" + secretPath + ".pending", null))
        .as("the pending secret is deleted at promotion").hasMessageContaining("404");
    assertThat(issuer.isLive(firstKeyId)).isTrue();

    time.advance(GRACE);
    RotationResult done = rotator.resume();

    assertThat(done.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(issuer.isLive(firstKeyId)).isFalse();
    assertThat(consumerView().previous()).as("the revoked key is retired from version n-1").isEmpty();
    RotationState s = store.read();
    assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(s.current().value()).isEqualTo(SecretValue.ofString(newKey));
  }

  @Test
  void failedVerification_leavesTheCurrentVersionAndNothingPending() {
    verifyFails.set(true);
    rotator = Rotator.builder(store, issuer).clock(time.clock())
        .verifier(KeyVerifier.of(key -> false)).build();

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.VERIFY_FAILED);
    FetchResult view = consumerView();
    assertThat(view.current().version()).isEqualTo("1");
    assertThat(view.pending()).isEmpty();
    assertThat(customMetadata().get("rotation_pending_id")).isNull();
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void manualRollback_afterPromotion_makesTheOldKeyCurrentAgain() {
    rotator.rotate();
    time.advance(DISTRIBUTION);
    rotator.rotate();
    String newKeyId = issuer.liveKeyIds().get(1);

    RotationResult r = rotator.rollback();

    assertThat(r.outcome()).isEqualTo(Outcome.ROLLED_BACK);
    FetchResult view = consumerView();
    assertThat(view.current().version()).isEqualTo("3");
    assertThat(view.current().secretMap()).containsEntry("api_key", "first-key-4f1c2a");
    assertThat(customMetadata().get("rotated_at")).isNull();
    assertThat(issuer.isLive(newKeyId)).isFalse();
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void versionWrittenByHandDuringRotation_makesPromotionLoseTheCasRace() {
    rotator.rotate();
    bao.write("secret/data/" + secretPath, "{\"data\":{\"api_key\":\"written-by-hand\"}}");
    time.advance(DISTRIBUTION);

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(r.message()).contains("current version is 2");
    assertThat(consumerView().current().secretMap()).containsEntry("api_key", "written-by-hand");
  }

  @Test
  void secretKeepingOneVersion_isRefusedWithAClearMessage() {
    bao.write("secret/metadata/" + secretPath, "{\"max_versions\":1}");

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).contains("max_versions = 1").contains("version n-1").contains(secretPath);
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void missingSecret_isReportedByName() {
    RotationResult r = Rotator.builder(VaultKvSecretStore.of(session, "secret", "it/absent-" + UUID.randomUUID()), issuer)
        .verifier(KeyVerifier.none()).build().rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).contains("does not exist").contains("write its first key by hand");
  }

  @Test
  void secondRotation_usesTheRecordedKeyIdAndKeepsOtherMetadata() {
    bao.write("secret/metadata/" + secretPath, "{\"custom_metadata\":{\"owner\":\"payments-team\"}}");
    rotator.rotate();
    time.advance(DISTRIBUTION);
    rotator.rotate();
    time.advance(GRACE);
    rotator.resume();
    String secondKeyId = issuer.liveKeyIds().get(0);

    rotator.rotate();
    time.advance(DISTRIBUTION);
    rotator.rotate();
    time.advance(GRACE);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);

    assertThat(issuer.isLive(secondKeyId)).isFalse();
    assertThat(issuer.liveKeyIds()).hasSize(1);
    assertThat(customMetadata().get("owner").asString()).isEqualTo("payments-team");
    assertThat(consumerView().current().version()).isEqualTo("3");
  }

  @Test
  void singleLiveKeyService_consumerFallsBackToThePendingKeyBeforePromotion() throws Exception {
    InMemoryKeyIssuer single = InMemoryKeyIssuer.singleLiveKey();
    single.register(firstKey);
    Rotator singleRotator = Rotator.builder(store, single).clock(time.clock()).distributionDelay(DISTRIBUTION)
        .verifier(KeyVerifier.of(single::accepts)).build();

    assertThat(singleRotator.rotate().outcome()).isEqualTo(Outcome.DISTRIBUTING);
    assertThat(single.accepts(firstKey)).as("issuing the new key ended the old one").isFalse();

    try (RotatingCredential credential = RotatingCredential.builder("payments-api-key", consumer).build().start()) {
      assertThat(credential.keyRing().pending()).as("the staged key is the key ring's pending entry").isPresent();
      String accepted = credential.call(c -> {
        SecretValue presented = SecretValue.ofString(c.secretMap().get("api_key"));
        if (!single.authenticate(presented, time.now())) {
          throw new CredentialRejectedException("the service rejected version " + c.version());
        }
        return c.version();
      });
      assertThat(accepted).isEqualTo(credential.keyRing().pending().orElseThrow().version());
    }
  }
}
