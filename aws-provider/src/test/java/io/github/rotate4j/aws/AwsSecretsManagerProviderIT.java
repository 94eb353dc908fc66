package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;

/** The provider against a real moto server: staging labels through a rotation, value kinds, errors. */
@ExtendWith(MotoServerExtension.class)
class AwsSecretsManagerProviderIT {

  private static final String SECRET = "payments/api-key";

  @Test
  void fetch_newSecret_hasOnlyCurrent(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      CreateSecretResponse created = admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));

      FetchResult result = provider.fetch(FetchContext.startup("api-key"));

      assertThat(result.current().version()).isEqualTo(created.versionId());
      assertThat(result.current().secretString()).isEqualTo("key-v1");
      assertThat(result.current().metadata()).containsEntry(AwsSecretsManagerProvider.METADATA_ARN, created.arn());
      assertThat(result.pending()).isEmpty();
      assertThat(result.previous()).isEmpty();
    }
  }

  @Test
  void fetch_followsStagingLabels_pendingThenCurrentAndPrevious(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();

      // setSecret: the new key is staged as AWSPENDING
      String v2 = stagePending(admin, "key-v2");
      FetchResult staged = provider.fetch(FetchContext.startup("api-key"));
      assertThat(staged.current().version()).isEqualTo(v1);
      assertThat(staged.current().secretString()).isEqualTo("key-v1");
      assertThat(staged.pending()).map(Credential::version).contains(v2);
      assertThat(staged.pending()).map(Credential::secretString).contains("key-v2");
      assertThat(staged.previous()).isEmpty();

      // finishSecret: AWSCURRENT moves to the new version, AWSPREVIOUS to the old one
      promote(admin, v2, v1);
      FetchResult promoted = provider.fetch(context(staged));
      assertThat(promoted.current().version()).isEqualTo(v2);
      assertThat(promoted.current().secretString()).isEqualTo("key-v2");
      assertThat(promoted.previous()).extracting(Credential::version).containsExactly(v1);
      assertThat(promoted.previous().get(0).secretString()).isEqualTo("key-v1");
      assertThat(promoted.pending()).isEmpty();
    }
  }

  @Test
  void fetch_readsValuesOnlyForVersionsNotYetKnown(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerClient counted = countingClient(moto, calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).client(counted).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));

      FetchResult first = provider.fetch(FetchContext.startup("api-key"));
      assertThat(calls.count("DescribeSecret")).isEqualTo(1);
      assertThat(calls.count("GetSecretValue")).isEqualTo(1);

      calls.clear();
      FetchResult unchanged = provider.fetch(context(first));
      assertThat(calls.count("DescribeSecret")).isEqualTo(1);
      assertThat(calls.count("GetSecretValue")).isZero();
      assertThat(unchanged.current()).isSameAs(first.current());

      calls.clear();
      String v2 = stagePending(admin, "key-v2");
      FetchResult staged = provider.fetch(context(unchanged));
      assertThat(calls.count("GetSecretValue")).as("only the new pending version is read").isEqualTo(1);
      assertThat(staged.current()).isSameAs(first.current());

      calls.clear();
      promote(admin, v2, first.current().version());
      FetchResult promoted = provider.fetch(context(staged));
      assertThat(calls.count("GetSecretValue")).as("both versions are already known").isZero();
      assertThat(promoted.current()).isSameAs(staged.pending().orElseThrow());
      assertThat(promoted.previous()).containsExactly(first.current());
    }
  }

  @Test
  void fetch_afterRollback_servesTheOldVersionAgainWithoutReadingIt(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerClient counted = countingClient(moto, calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).client(counted).build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      String v2 = stagePending(admin, "key-v2");
      promote(admin, v2, v1);
      FetchResult promoted = provider.fetch(FetchContext.startup("api-key"));
      assertThat(promoted.current().version()).isEqualTo(v2);

      // the new key turned out bad: AWSCURRENT goes back to v1
      admin.updateSecretVersionStage(r -> r.secretId(SECRET).versionStage(AwsSecretsManagerProvider.AWSCURRENT)
          .moveToVersionId(v1).removeFromVersionId(v2));
      calls.clear();
      FetchResult rolledBack = provider.fetch(context(promoted));

      assertThat(rolledBack.current().version()).isEqualTo(v1);
      assertThat(rolledBack.current().secretString()).isEqualTo("key-v1");
      assertThat(calls.count("GetSecretValue")).as("v1 was still in the ring as previous").isZero();
    }
  }

  @Test
  void fetch_jsonFormat_parsesObjectIntoMap(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).format(SecretFormat.JSON).build()) {
      admin.createSecret(r -> r.name(SECRET)
          .secretString("{\"apiKey\":\"k-1\",\"port\":5432,\"tls\":true,\"tags\":[\"a\",\"b\"],\"none\":null}"));

      Credential current = provider.fetch(FetchContext.startup("api-key")).current();

      assertThat(current.secretMap()).containsExactly(
          Map.entry("apiKey", "k-1"), Map.entry("port", "5432"), Map.entry("tls", "true"),
          Map.entry("tags", "[\"a\",\"b\"]"));
    }
  }

  @Test
  void fetch_auto_databaseSecretBecomesUsernamePassword(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider("prod/db").build()) {
      admin.createSecret(r -> r.name("prod/db").secretString(
          "{\"username\":\"app\",\"password\":\"s3cr3t\",\"engine\":\"postgres\",\"host\":\"db.local\",\"port\":5432}"));

      Credential current = provider.fetch(FetchContext.startup("db")).current();

      assertThat(current.value()).isInstanceOf(SecretValue.UsernamePassword.class);
      assertThat(current.usernamePassword().username()).isEqualTo("app");
      assertThat(current.usernamePassword().password()).isEqualTo("s3cr3t");
      assertThat(current.usernamePassword().attributes())
          .containsExactly(Map.entry("engine", "postgres"), Map.entry("host", "db.local"), Map.entry("port", "5432"));
    }
  }

  @Test
  void fetch_usernamePasswordFormat_refusesValueWithoutPassword_withoutShowingIt(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider("prod/db").format(SecretFormat.USERNAME_PASSWORD).build()) {
      admin.createSecret(r -> r.name("prod/db").secretString("{\"username\":\"app\",\"pwd\":\"hunter2-value\"}"));

      assertThatThrownBy(() -> provider.fetch(FetchContext.startup("db")))
          .isInstanceOf(PermanentBackendException.class)
          .hasMessageContaining("prod/db")
          .hasMessageContaining("username")
          .hasMessageNotContaining("hunter2-value");
    }
  }

  @Test
  void fetch_binarySecret_becomesBytes(MotoServer moto) {
    byte[] key = {0, 1, 2, (byte) 0xfe, (byte) 0xff, 42};
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider("signing-key").build()) {
      admin.createSecret(r -> r.name("signing-key").secretBinary(SdkBytes.fromByteArray(key)));

      Credential current = provider.fetch(FetchContext.startup("signing")).current();

      assertThat(current.value()).isInstanceOf(SecretValue.Binary.class);
      assertThat(((SecretValue.Binary) current.value()).value()).containsExactly(key);
    }
  }

  @Test
  void fetch_binarySecretWithJsonFormat_isPermanentFailure(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider("signing-key").format(SecretFormat.JSON).build()) {
      admin.createSecret(r -> r.name("signing-key").secretBinary(SdkBytes.fromUtf8String("raw-bytes")));

      assertThatThrownBy(() -> provider.fetch(FetchContext.startup("signing")))
          .isInstanceOf(PermanentBackendException.class)
          .hasMessageContaining("signing-key")
          .hasMessageContaining("binary")
          .hasMessageNotContaining("raw-bytes");
    }
  }

  @Test
  void fetch_stringFormat_keepsJsonText(MotoServer moto) {
    String json = "{\"username\":\"app\",\"password\":\"pw\"}";
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).format(SecretFormat.STRING).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString(json));

      assertThat(provider.fetch(FetchContext.startup("api-key")).current().secretString()).isEqualTo(json);
    }
  }

  @Test
  void fetch_missingSecret_isPermanentAndNamesTheSecret(MotoServer moto) {
    try (AwsSecretsManagerProvider provider = moto.provider("does/not/exist").build()) {
      assertThatThrownBy(() -> provider.fetch(FetchContext.startup("missing")))
          .isInstanceOf(PermanentBackendException.class)
          .hasMessageContaining("does/not/exist")
          .hasMessageContaining("ResourceNotFoundException")
          .hasMessageContaining("credential 'missing'");
    }
  }

  @Test
  void fetch_withoutPermission_isPermanentAccessDenied(MotoServer moto) throws Exception {
    AccessKey key;
    try (SecretsManagerClient admin = moto.newClient(); IamClient iam = iamClient(moto)) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1-do-not-leak"));
      iam.createUser(r -> r.userName("reader"));
      // may describe the secret but not read its value
      iam.putUserPolicy(r -> r.userName("reader").policyName("describe-only").policyDocument(
          "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
              + "\"Action\":\"secretsmanager:DescribeSecret\",\"Resource\":\"*\"}]}"));
      key = iam.createAccessKey(r -> r.userName("reader")).accessKey();
    }
    moto.enforceIam();
    try (AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET)
        .region(MotoServer.REGION)
        .endpointOverride(moto.endpoint())
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .build()) {
      assertThatThrownBy(() -> provider.fetch(FetchContext.startup("api-key")))
          .isInstanceOf(PermanentBackendException.class)
          .hasMessageContaining("GetSecretValue")
          .hasMessageContaining(SECRET)
          // moto answers with an XML AccessDenied body the JSON protocol cannot read: the status decides
          .hasMessageContaining("access denied (HTTP 403)")
          .hasMessageNotContaining("key-v1-do-not-leak");
    }
  }

  @Test
  void close_leavesClientPassedInOpen(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));
      AwsSecretsManagerProvider first = AwsSecretsManagerProvider.builder(SECRET).client(admin).build();
      first.fetch(FetchContext.startup("api-key"));
      first.close();

      assertThat(admin.describeSecret(r -> r.secretId(SECRET)).name()).isEqualTo(SECRET);
    }
  }

  @Test
  void backendId_namesTheEndpoint(MotoServer moto) {
    try (AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      assertThat(provider.backend()).isEqualTo("aws-secretsmanager");
      assertThat(provider.path()).isEqualTo(SECRET);
      assertThat(provider.backendId()).isEqualTo("aws-secretsmanager@" + moto.endpoint());
    }
  }

  /** Stages a new value as AWSPENDING, as a rotation's setSecret step does. */
  static String stagePending(SecretsManagerClient admin, String value) {
    PutSecretValueResponse put = admin.putSecretValue(r -> r.secretId(SECRET).secretString(value)
        .versionStages(AwsSecretsManagerProvider.AWSPENDING));
    return put.versionId();
  }

  /** Moves AWSCURRENT to {@code newVersion} and drops AWSPENDING from it, as finishSecret does. */
  static void promote(SecretsManagerClient admin, String newVersion, String oldVersion) {
    admin.updateSecretVersionStage(r -> r.secretId(SECRET).versionStage(AwsSecretsManagerProvider.AWSCURRENT)
        .moveToVersionId(newVersion).removeFromVersionId(oldVersion));
    admin.updateSecretVersionStage(r -> r.secretId(SECRET).versionStage(AwsSecretsManagerProvider.AWSPENDING)
        .removeFromVersionId(newVersion));
  }

  /** A context carrying the ring the engine would hold after {@code last}. */
  static FetchContext context(FetchResult last) {
    List<KeyRing.Entry> entries = new ArrayList<>();
    entries.add(new KeyRing.Entry(last.current(), KeySlot.CURRENT, null));
    last.pending().ifPresent(p -> entries.add(new KeyRing.Entry(p, KeySlot.PENDING, null)));
    last.previous().forEach(p -> entries.add(new KeyRing.Entry(p, KeySlot.PREVIOUS, null)));
    return new FetchContext("api-key", FetchReason.SCHEDULED, Optional.of(KeyRing.of(entries)));
  }

  static SecretsManagerClient countingClient(MotoServer moto, CountingInterceptor calls) {
    return SecretsManagerClient.builder()
        .region(MotoServer.REGION)
        .endpointOverride(moto.endpoint())
        .credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> c.addExecutionInterceptor(calls))
        .build();
  }

  private static IamClient iamClient(MotoServer moto) {
    return IamClient.builder()
        .region(Region.AWS_GLOBAL)
        .endpointOverride(URI.create(moto.endpoint().toString()))
        .credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }
}
