package io.github.rotate4j.aws;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Faults a real Secrets Manager does not produce on demand, served by WireMock in the Secrets
 * Manager JSON protocol ({@code application/x-amz-json-1.1}, {@code X-Amz-Target}, error bodies
 * {@code {"__type": ..., "message": ...}}).
 */
class AwsSecretsManagerFaultTest {

  private static final String SECRET = "payments/api-key";
  private static final String SECRET_VALUE = "sk_live_do-not-leak-4242";
  private static final String V1 = "a1b2c3d4-0000-4000-8000-000000000001";
  private static final String JSON_1_1 = "application/x-amz-json-1.1";

  @RegisterExtension
  static WireMockExtension wm = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").jettyAcceptors(1))
      .build();

  @Test
  void describe_ok_getValue_ok_readsCurrent() {
    stubDescribe(ok(describeBody()));
    stubGetValue(ok(getValueBody()));

    FetchResult result = fetchWith(provider());

    assertThat(result.current().version()).isEqualTo(V1);
    assertThat(result.current().secretString()).isEqualTo(SECRET_VALUE);
    assertThat(result.current().issuedAt().getEpochSecond()).isEqualTo(1_700_000_000L);
  }

  @Test
  void versionWithoutAnyDate_isIssuedAtTheInjectedClocksNow() {
    Instant fixed = Instant.parse("2031-01-02T03:04:05Z");
    stubDescribe(ok(describeBody()));
    stubGetValue(ok(getValueBody().replace(",\"CreatedDate\":1700000000", "")));

    FetchResult result = fetchWith(builder().clock(Clock.fixed(fixed, ZoneOffset.UTC)).build());

    assertThat(result.current().issuedAt()).isEqualTo(fixed);
  }

  @ParameterizedTest(name = "{0} (HTTP {1}) is {2}")
  @CsvSource({
      "ThrottlingException,         400, TRANSIENT",
      "TooManyRequestsException,    429, TRANSIENT",
      "InternalServiceError,        500, TRANSIENT",
      "ServiceUnavailable,          503, TRANSIENT",
      "AccessDeniedException,       400, PERMANENT",
      "ResourceNotFoundException,   400, PERMANENT",
      "DecryptionFailure,           400, PERMANENT",
      "InvalidRequestException,     400, PERMANENT",
      "InvalidParameterException,   400, PERMANENT",
  })
  void serviceErrorsOnGetSecretValue_areClassified(String type, int status, FailureKind kind) {
    stubDescribe(ok(describeBody()));
    stubGetValue(error(status, type, "something about " + SECRET));

    BackendException e = fetchFailure(provider());

    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e).hasMessageContaining("GetSecretValue").hasMessageContaining(SECRET).hasMessageContaining(type)
        .hasMessageContaining("HTTP " + status);
    assertNoSecretIn(e);
  }

  @Test
  void throttlingOnDescribe_isTransient_andTheSdkDoesNotRetry() {
    stubDescribe(error(400, "ThrottlingException", "Rate exceeded"));

    BackendException e = fetchFailure(provider());

    assertThat(e).isInstanceOf(TransientBackendException.class)
        .hasMessageContaining("DescribeSecret").hasMessageContaining(SECRET).hasMessageContaining("ThrottlingException");
    wm.verify(1, postRequestedFor(urlEqualTo("/")));
  }

  @Test
  void bare500WithoutBody_isTransient() {
    stubDescribe(aResponse().withStatus(500));

    BackendException e = fetchFailure(provider());

    assertThat(e).isInstanceOf(TransientBackendException.class).hasMessageContaining(SECRET).hasMessageContaining("HTTP 500");
    wm.verify(1, postRequestedFor(urlEqualTo("/")));
  }

  @Test
  void bare429_isTransient() {
    stubDescribe(aResponse().withStatus(429).withBody("slow down"));

    assertThat(fetchFailure(provider())).isInstanceOf(TransientBackendException.class).hasMessageContaining("HTTP 429");
  }

  @Test
  void slowResponsePastTheCallTimeout_isTransient() {
    stubDescribe(ok(describeBody()).withFixedDelay(3_000));
    AwsSecretsManagerProvider provider = builder().apiCallTimeout(Duration.ofMillis(300)).build();

    BackendException e = fetchFailure(provider);

    assertThat(e).isInstanceOf(TransientBackendException.class)
        .hasMessageContaining("DescribeSecret").hasMessageContaining(SECRET).hasMessageContaining("timed out");
  }

  @Test
  void connectionReset_isTransient() {
    stubDescribe(ok(describeBody()));
    stubGetValue(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

    BackendException e = fetchFailure(provider());

    assertThat(e).isInstanceOf(TransientBackendException.class)
        .hasMessageContaining("GetSecretValue").hasMessageContaining(SECRET).hasMessageContaining("I/O error");
  }

  @Test
  void emptyResponse_isTransient() {
    stubDescribe(aResponse().withFault(Fault.EMPTY_RESPONSE));

    assertThat(fetchFailure(provider())).isInstanceOf(TransientBackendException.class).hasMessageContaining(SECRET);
  }

  @Test
  void malformedBody_isPermanent_andQuotesNothingOfIt() {
    stubDescribe(ok(describeBody()));
    // truncated mid-value, so a parser error message would quote the secret
    stubGetValue(ok("{\"ARN\":\"arn\",\"VersionId\":\"" + V1 + "\",\"SecretString\":\"" + SECRET_VALUE + "\" ,,}"));

    BackendException e = fetchFailure(provider());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining("GetSecretValue").hasMessageContaining(SECRET).hasMessageContaining("malformed response");
    assertNoSecretIn(e);
  }

  @Test
  void malformedJsonSecretWithJsonFormat_isPermanent_andQuotesNothingOfIt() {
    stubDescribe(ok(describeBody()));
    stubGetValue(ok(getValueBody().replace("\"" + SECRET_VALUE + "\"", "\"{\\\"key\\\": " + SECRET_VALUE + "}\"")));

    BackendException e = fetchFailure(builder().format(SecretFormat.JSON).build());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining(SECRET).hasMessageContaining("not a JSON object");
    assertNoSecretIn(e);
  }

  @Test
  void secretWithoutCurrentVersion_isPermanent() {
    stubDescribe(ok("{\"ARN\":\"arn\",\"Name\":\"" + SECRET + "\",\"VersionIdsToStages\":{\"" + V1 + "\":[\"AWSPENDING\"]}}"));

    assertThat(fetchFailure(provider())).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining(SECRET).hasMessageContaining("AWSCURRENT");
  }

  @Test
  void secretScheduledForDeletion_isPermanent() {
    stubDescribe(ok(describeBody().replace("{\"ARN\"", "{\"DeletedDate\":1700000500,\"ARN\"")));

    assertThat(fetchFailure(provider())).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining(SECRET).hasMessageContaining("scheduled for deletion");
  }

  @Test
  void pendingVersionGoneBetweenCalls_isLeftOut() {
    String v2 = "a1b2c3d4-0000-4000-8000-000000000002";
    stubDescribe(ok("{\"ARN\":\"arn\",\"Name\":\"" + SECRET + "\",\"VersionIdsToStages\":{\"" + V1
        + "\":[\"AWSCURRENT\"],\"" + v2 + "\":[\"AWSPENDING\"]}}"));
    wm.stubFor(post(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
        .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(V1))
        .willReturn(ok(getValueBody())));
    wm.stubFor(post(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
        .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(v2))
        .willReturn(error(400, "ResourceNotFoundException", "version not found")));

    FetchResult result = fetchWith(provider());

    assertThat(result.current().version()).isEqualTo(V1);
    assertThat(result.pending()).isEmpty();
  }

  @Test
  void requestsAskForAnExplicitVersion() {
    stubDescribe(ok(describeBody()));
    stubGetValue(ok(getValueBody()));

    fetchWith(provider());

    wm.verify(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
        .withHeader("Content-Type", equalTo(JSON_1_1))
        .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.equalToJson(
            "{\"SecretId\":\"" + SECRET + "\",\"VersionId\":\"" + V1 + "\"}")));
  }

  private static void assertNoSecretIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET_VALUE);
      assertThat(t.toString()).doesNotContain(SECRET_VALUE);
    }
  }

  private static AwsSecretsManagerProvider.Builder builder() {
    return AwsSecretsManagerProvider.builder(SECRET)
        .region(MotoServer.REGION)
        .endpointOverride(URI.create(wm.baseUrl()))
        .credentialsProvider(MotoServer.TEST_CREDENTIALS);
  }

  private static AwsSecretsManagerProvider provider() {
    return builder().apiCallTimeout(Duration.ofSeconds(5)).build();
  }

  private static FetchResult fetchWith(AwsSecretsManagerProvider provider) {
    try (provider) {
      return provider.fetch(FetchContext.startup("api-key"));
    }
  }

  private static BackendException fetchFailure(AwsSecretsManagerProvider provider) {
    try (provider) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> provider.fetch(FetchContext.startup("api-key")));
      assertThat(e).as("fetch should fail").isNotNull();
      assertThat(e).hasMessageContaining("credential 'api-key'");
      return e;
    }
  }

  private static void stubDescribe(ResponseDefinitionBuilder response) {
    wm.stubFor(post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("secretsmanager.DescribeSecret"))
        .willReturn(response));
  }

  private static void stubGetValue(ResponseDefinitionBuilder response) {
    wm.stubFor(post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
        .willReturn(response));
  }

  private static ResponseDefinitionBuilder ok(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", JSON_1_1).withBody(body);
  }

  private static ResponseDefinitionBuilder error(int status, String type, String message) {
    return aResponse().withStatus(status).withHeader("Content-Type", JSON_1_1)
        .withHeader("x-amzn-RequestId", "req-1")
        .withBody("{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}");
  }

  private static String describeBody() {
    return "{\"ARN\":\"arn:aws:secretsmanager:us-east-1:123456789012:secret:" + SECRET + "-AbCdEf\","
        + "\"Name\":\"" + SECRET + "\",\"VersionIdsToStages\":{\"" + V1 + "\":[\"AWSCURRENT\"]}}";
  }

  private static String getValueBody() {
    return "{\"ARN\":\"arn:aws:secretsmanager:us-east-1:123456789012:secret:" + SECRET + "-AbCdEf\","
        + "\"Name\":\"" + SECRET + "\",\"VersionId\":\"" + V1 + "\",\"SecretString\":\"" + SECRET_VALUE + "\","
        + "\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1700000000}";
  }
}
