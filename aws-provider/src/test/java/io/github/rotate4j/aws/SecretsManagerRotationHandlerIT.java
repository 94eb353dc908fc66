package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** The four-step handler driven step by step as Secrets Manager calls it, against moto. */
@ExtendWith(MotoServerExtension.class)
class SecretsManagerRotationHandlerIT {

  static final String SECRET = "payments/api-key";

  final MotoServer moto;
  final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  final AtomicBoolean verifyFails = new AtomicBoolean();
  SecretsManagerClient admin;
  SecretsManagerRotationHandler handler;
  String firstKeyId;

  SecretsManagerRotationHandlerIT(MotoServer moto) {
    this.moto = moto;
  }

  @BeforeEach
  void setUp() {
    admin = moto.newClient();
    admin.createSecret(r -> r.name(SECRET).secretString("first-key-77aa"));
    firstKeyId = issuer.register(SecretValue.ofString("first-key-77aa"));
    // turns rotation on (moto, with no Lambda, also makes a copy of the value current at once)
    admin.rotateSecret(r -> r.secretId(SECRET).rotationRules(rr -> rr.automaticallyAfterDays(30L)));
    // moto cannot read that copy back by its version id; write the first key again as AWSCURRENT
    admin.putSecretValue(r -> r.secretId(SECRET).secretString("first-key-77aa"));
    handler = SecretsManagerRotationHandler.builder(admin, issuer)
        .verifier(KeyVerifier.of(key -> !verifyFails.get() && issuer.accepts(key)))
        .build();
  }

  @AfterEach
  void tearDown() {
    admin.close();
  }

  void step(String step, String token) {
    handler.handle(Map.of("Step", step, "SecretId", SECRET, "ClientRequestToken", token));
  }

  void rotate(String token) {
    step("createSecret", token);
    step("setSecret", token);
    step("testSecret", token);
    step("finishSecret", token);
  }

  Map<String, List<String>> stages() {
    return admin.describeSecret(r -> r.secretId(SECRET)).versionIdsToStages();
  }

  String current() {
    return admin.getSecretValue(r -> r.secretId(SECRET).versionStage("AWSCURRENT")).secretString();
  }

  @Test
  void fourSteps_makeTheNewKeyCurrentAndKeepTheOldOneAsPrevious() {
    String token = UUID.randomUUID().toString();

    step("createSecret", token);
    assertThat(stages().get(token)).containsExactly("AWSPENDING");
    String newKey = admin.getSecretValue(r -> r.secretId(SECRET).versionStage("AWSPENDING")).secretString();
    assertThat(issuer.accepts(SecretValue.ofString(newKey))).isTrue();
    assertThat(current()).isEqualTo("first-key-77aa");

    step("setSecret", token);
    step("testSecret", token);
    step("finishSecret", token);

    assertThat(stages().get(token)).containsExactly("AWSCURRENT");
    assertThat(current()).isEqualTo(newKey);
    assertThat(issuer.isLive(firstKeyId)).as("the old key lives on as AWSPREVIOUS").isTrue();
  }

  @Test
  void nextRotation_revokesTheKeyLeavingAwsPrevious() {
    rotate(UUID.randomUUID().toString());
    rotate(UUID.randomUUID().toString());

    assertThat(issuer.isLive(firstKeyId)).isFalse();
    assertThat(issuer.liveKeyIds()).hasSize(2);
  }

  @Test
  void repeatedSteps_areIdempotent() {
    String token = UUID.randomUUID().toString();

    step("createSecret", token);
    step("createSecret", token);
    step("setSecret", token);
    step("setSecret", token);
    step("testSecret", token);
    step("testSecret", token);
    step("finishSecret", token);
    step("finishSecret", token);

    assertThat(issuer.allKeyIds()).as("one key issued").hasSize(2);
    assertThat(stages().get(token)).containsExactly("AWSCURRENT");
  }

  @Test
  void failedTestSecret_revokesTheNewKeyAndLeavesNothingPending() {
    String token = UUID.randomUUID().toString();
    step("createSecret", token);
    String newKeyId = issuer.allKeyIds().get(1);
    verifyFails.set(true);

    assertThatThrownBy(() -> step("testSecret", token))
        .isInstanceOf(RotationException.class)
        .hasMessageContaining("failed verification")
        .hasMessageContaining(SECRET);

    assertThat(issuer.isLive(newKeyId)).isFalse();
    assertThat(stages().get(token)).doesNotContain("AWSPENDING");
    assertThat(current()).isEqualTo("first-key-77aa");
    assertThatThrownBy(() -> step("finishSecret", token)).hasMessageContaining("is not AWSPENDING");
  }

  @Test
  void tokenThatIsNotPending_failsTheStep() {
    assertThatThrownBy(() -> step("setSecret", UUID.randomUUID().toString()))
        .isInstanceOf(RotationException.class).hasMessageContaining("has no stage for rotation");

    String token = UUID.randomUUID().toString();
    rotate(token);
    String previous = stages().entrySet().stream().filter(e -> e.getValue().contains("AWSPREVIOUS"))
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    assertThatThrownBy(() -> step("testSecret", previous)).hasMessageContaining("is not AWSPENDING");
  }

  @Test
  void secretWithoutRotation_isRefused() {
    admin.createSecret(r -> r.name("plain").secretString("x"));
    assertThatThrownBy(() -> handler.handle("createSecret", "plain", UUID.randomUUID().toString()))
        .hasMessageContaining("rotation is not enabled");
  }

  @Test
  void eventWithoutToken_isRejectedByFieldName() {
    assertThatThrownBy(() -> handler.handle(Map.of("Step", "createSecret", "SecretId", SECRET)))
        .hasMessageContaining("ClientRequestToken");
  }
}
