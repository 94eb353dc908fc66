package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** What the builder refuses around {@code asyncClient(...)}. */
class AsyncClientBuilderTest {

  private final SecretsManagerAsyncClient async = SecretsManagerAsyncClient.builder()
      .region(MotoServer.REGION)
      .endpointOverride(URI.create("http://127.0.0.1:1"))
      .credentialsProvider(MotoServer.TEST_CREDENTIALS)
      .httpClientBuilder(NettyNioAsyncHttpClient.builder())
      .build();

  @AfterEach
  void closeClient() {
    async.close();
  }

  @Test
  void asyncClient_withSettingsForBuildingAClient_isRefused_namingThem() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").asyncClient(async).region("eu-west-1")
        .connectTimeout(java.time.Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("asyncClient(...) was given, so [region, connectTimeout] cannot be applied; configure them on the"
            + " client instead");
  }

  @Test
  void asyncClient_andABlockingClient_excludeEachOther() {
    try (SecretsManagerClient blocking = SecretsManagerClient.builder().region(MotoServer.REGION)
        .endpointOverride(URI.create("http://127.0.0.1:1")).credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()) {
      assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").asyncClient(async).client(blocking).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("client(...) and asyncClient(...) exclude each other; pass one of them");
    }
  }

  @Test
  void asyncClient_setTwice_isRefused() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder("s").asyncClient(async).asyncClient(async))
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("asyncClient was already set");
  }
}
