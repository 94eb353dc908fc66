package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import io.github.rotate4j.aws.MotoServer;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyClient;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyIssuer;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyService;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;

/** The job rotating a key kept in AWS Secrets Manager (moto), with its staging labels. */
class AwsRotationJobIT {

  private static MotoServer moto;

  @TempDir
  Path dir;

  @BeforeAll
  static void startMoto() throws Exception {
    moto = MotoServer.start();
  }

  @AfterAll
  static void stopMoto() {
    if (moto != null) {
      moto.close();
    }
  }

  @Test
  void fullRotationThroughTheJob_zeroRejectedCalls() throws Exception {
    String secretId = "prod/partner/api-key";
    Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing");
    try (DemoKeyService service = DemoKeyService.start(); SecretsManagerClient admin = moto.newClient()) {
      RotationUnderLoad scenario = new RotationUnderLoad(service, dir, env);
      DemoKeyClient.CreatedKey first = scenario.client().create(RotationUnderLoad.NAME);
      admin.createSecret(b -> b.name(secretId).secretString(first.secret()));
      Path inventory = scenario.inventory("{type: aws, secretId: " + secretId + ", region: "
          + MotoServer.REGION.id() + ", endpoint: \"" + moto.endpoint() + "\"}");

      RotationUnderLoad.Outcome o = scenario.run(inventory, AwsSecretsManagerProvider.builder(secretId)
              .region(MotoServer.REGION).endpointOverride(moto.endpoint()).credentialsProvider(MotoServer.TEST_CREDENTIALS).build(),
          c -> DemoKeyIssuer.secretOf(c.value()).orElseThrow(), true);

      RotationUnderLoad.assertZeroRejections("moto-secretsmanager", o);
      assertThat(o.oldKeyId()).isEqualTo(first.id());
      // the stage named explicitly: moto's GetSecretValue without one does not follow AWSCURRENT moved by
      // UpdateSecretVersionStage (real Secrets Manager does)
      GetSecretValueResponse current = admin.getSecretValue(b -> b.secretId(secretId).versionStage("AWSCURRENT"));
      assertThat(current.versionId()).as("the rotation id is the version id").isEqualTo(o.newVersion());
      assertThat(DemoKeyClient.keyIdOf(current.secretString())).contains(o.newKeyId());
      assertThat(admin.describeSecret(b -> b.secretId(secretId)).versionIdsToStages().get(o.oldVersion()))
          .as("old version retired: no AWSPREVIOUS after the revocation").doesNotContain("AWSPREVIOUS", "AWSCURRENT");
    }
  }
}
