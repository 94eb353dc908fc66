package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

class AwsSecretsManagerProviderBuilderTest {

  @Test
  void rejectsBlankSecretId() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("secretId");
  }

  @Test
  void rejectsNonPositiveTimeouts_namingTheValue() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").apiCallTimeout(Duration.ofSeconds(-3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("apiCallTimeout must be greater than 0, but was PT-3S");
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").connectTimeout(Duration.ZERO))
        .hasMessage("connectTimeout must be greater than 0, but was PT0S");
  }

  @Test
  void refusesASettingMadeTwice() {
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder("s").region("eu-west-1");

    assertThatThrownBy(() -> b.region(Region.US_EAST_1))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("region was already set");
  }

  @ParameterizedTest
  @ValueSource(strings = {"us-east1", "useast-1", "eu_west_1", "EU-WEST-1", "eu-west", "frankfurt"})
  void rejectsARegionTypo_namingIt(String typo) {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").region(typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("region must be an AWS region id such as eu-west-1 or us-east-1, but was '" + typo + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-7", "aws-global"})
  void acceptsRegionIds_evenOnesTheSdkDoesNotKnowYet(String region) {
    assertThat(AwsSecretsManagerProvider.builder("s").region(region)).isNotNull();
  }

  @Test
  void rejectsRelativeEndpoint() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").endpointOverride(URI.create("localhost")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute");
  }

  @Test
  void clientCannotBeCombinedWithClientSettings() {
    try (SecretsManagerClient client = localClient()) {
      assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").client(client).region("eu-west-1")
          .endpointOverride(URI.create("http://127.0.0.1:1")).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("[region, endpointOverride]");
    }
  }

  @Test
  void connectTimeoutNeedsTheDefaultHttpClient() {
    try (RecordingHttpClient http = new RecordingHttpClient()) {
      assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").region("eu-west-1")
          .httpClient(http).connectTimeout(Duration.ofSeconds(1)).build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("connectTimeout");
    }
  }

  @Test
  void backendId_usesRegionWithoutEndpointOverride() {
    try (AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder("prod/key").region("eu-west-1").build()) {
      assertThat(p.backendId()).isEqualTo("aws-secretsmanager@eu-west-1");
      assertThat(p.toString()).contains("prod/key");
    }
  }

  @Test
  void close_leavesHttpClientPassedInOpen() {
    RecordingHttpClient http = new RecordingHttpClient();
    AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder("s").region("eu-west-1").httpClient(http).build();

    p.close();

    assertThat(http.closed).isFalse();
  }

  private static SecretsManagerClient localClient() {
    return SecretsManagerClient.builder().region(Region.US_EAST_1)
        .endpointOverride(URI.create("http://127.0.0.1:1"))
        .credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .httpClient(new RecordingHttpClient())
        .build();
  }

  /** An HTTP client that only records whether it was closed; no test here sends a request. */
  static final class RecordingHttpClient implements SdkHttpClient {
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
      throw new UnsupportedOperationException("no request expected");
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }
}
