package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.spi.FetchContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** What a misconfigured provider says, against a real moto server: each mistake named as itself. */
@ExtendWith(MotoServerExtension.class)
class AwsProviderMessagesIT {

  private static final String SECRET = "payments/api-key";

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger providerLog = (Logger) LoggerFactory.getLogger(AwsSecretsManagerProvider.class);

  @BeforeEach
  void captureLogs() {
    logs.start();
    providerLog.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    providerLog.detachAppender(logs);
  }

  @Test
  void wrongSecretId_andWrongRegion_areToldApart_byTheRegionAndEndpointInTheMessage(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));
    }
    BackendException wrongId;
    BackendException wrongRegion;
    try (AwsSecretsManagerProvider provider = moto.provider("payments/api-kee").build()) {
      wrongId = fetchFailure(provider);
    }
    try (AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET)
        .region("eu-west-1").endpointOverride(moto.endpoint()).credentialsProvider(MotoServer.TEST_CREDENTIALS).build()) {
      wrongRegion = fetchFailure(provider);
    }

    assertThat(wrongId.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(wrongId).hasMessageContaining("'payments/api-kee'")
        .hasMessageContaining("region " + MotoServer.REGION.id())
        .hasMessageContaining("endpoint " + moto.endpoint())
        .hasMessageContaining("check the secret id, and that it lives in this region");
    assertThat(wrongRegion.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(wrongRegion).hasMessageContaining("'" + SECRET + "'").hasMessageContaining("region eu-west-1");
    assertThat(wrongRegion.getMessage()).isNotEqualTo(wrongId.getMessage());
  }

  @Test
  void unreachableEndpoint_isTransient_andNamed() throws IOException {
    int closed = closedPort();
    try (AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).region("eu-central-1")
        .endpointOverride(URI.create("http://127.0.0.1:" + closed)).credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .apiCallTimeout(Duration.ofSeconds(3)).build()) {
      BackendException e = fetchFailure(provider);

      assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
      assertThat(e).hasMessageContaining("cannot reach Secrets Manager")
          .hasMessageContaining("endpoint http://127.0.0.1:" + closed)
          .hasMessageContaining("region eu-central-1");
    }
  }

  @Test
  void httpsAgainstAPlainHttpServer_isAPermanentTlsFailure(MotoServer moto) {
    URI https = URI.create("https://127.0.0.1:" + moto.endpoint().getPort());
    try (AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).region(MotoServer.REGION)
        .endpointOverride(https).credentialsProvider(MotoServer.TEST_CREDENTIALS).build()) {
      BackendException e = fetchFailure(provider);

      assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(e).hasMessageContaining("TLS failure").hasMessageContaining("endpoint " + https);
    }
  }

  @Test
  void autoFormat_malformedJsonServedAsText_isWarnedAboutOncePerVersion(MotoServer moto) {
    String malformed = "{\"password\": hunter2-canary}";
    String v1;
    String v2;
    try (SecretsManagerClient admin = moto.newClient()) {
      v1 = admin.createSecret(r -> r.name(SECRET).secretString(malformed)).versionId();
    }
    try (AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      assertThat(provider.fetch(FetchContext.startup("api-key")).current().secretString()).isEqualTo(malformed);
      provider.fetch(FetchContext.startup("api-key"));
      provider.fetch(FetchContext.startup("api-key"));
      try (SecretsManagerClient admin = moto.newClient()) {
        v2 = admin.putSecretValue(r -> r.secretId(SECRET).secretString(malformed + " ")).versionId();
      }
      provider.fetch(FetchContext.startup("api-key"));
    }

    List<ILoggingEvent> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0).getFormattedMessage()).contains(v1).contains(SECRET).contains("not valid JSON")
        .contains("format(STRING)").doesNotContain("hunter2");
    assertThat(warnings.get(1).getFormattedMessage()).contains(v2).doesNotContain("hunter2");
  }

  private static BackendException fetchFailure(AwsSecretsManagerProvider provider) {
    BackendException e = catchThrowableOfType(BackendException.class, () -> provider.fetch(FetchContext.startup("api-key")));
    assertThat(e).as("fetch should fail").isNotNull();
    return e;
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
