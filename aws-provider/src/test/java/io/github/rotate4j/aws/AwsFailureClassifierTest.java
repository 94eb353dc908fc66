package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

class AwsFailureClassifierTest {

  private static final String SECRET = "prod/db";

  @ParameterizedTest(name = "{0} / HTTP {1} -> {2}")
  @CsvSource({
      "ExpiredTokenException,     400, TRANSIENT",
      "RequestLimitExceeded,      400, TRANSIENT",
      "UnrecognizedClientException, 400, PERMANENT",
      "SomethingNew,              400, PERMANENT",
      "SomethingNew,              502, TRANSIENT",
      "'',                        503, TRANSIENT",
      "'',                        429, TRANSIENT",
      "'',                        403, PERMANENT",
      "'',                        404, PERMANENT",
  })
  void serviceErrors(String code, int status, FailureKind kind) {
    AwsServiceException e = AwsServiceException.builder()
        .statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code.isEmpty() ? null : code).build())
        .build();

    BackendException classified = classify(e);

    assertThat(classified.kind()).isEqualTo(kind);
    assertThat(classified.httpStatus()).hasValue(status);
    assertThat(classified).hasMessageContaining("HTTP " + status).hasMessageContaining(SECRET);
  }

  @Test
  void timeoutsAreTransient() {
    assertThat(classify(ApiCallTimeoutException.create(1000)).kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(classify(ApiCallAttemptTimeoutException.create(1000)).kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(classify(AbortedException.create("interrupted")).kind()).isEqualTo(FailureKind.TRANSIENT);
  }

  @Test
  void ioErrorsAreTransient_andNameTheIoFailure() {
    SdkClientException e = SdkClientException.create("Unable to execute HTTP request", new SocketTimeoutException("Read timed out"));

    assertThat(classify(e)).matches(b -> b.kind() == FailureKind.TRANSIENT)
        .hasMessageContaining("I/O error (SocketTimeoutException)");
  }

  @Test
  void clientConfigurationErrorsArePermanent() {
    SdkClientException e = SdkClientException.create("Unable to load credentials from any of the providers");

    assertThat(classify(e)).matches(b -> b.kind() == FailureKind.PERMANENT)
        .hasMessageContaining("Unable to load credentials");
  }

  @Test
  void unreadableResponseIsPermanent_andDropsTheParserMessage() {
    SdkClientException e = SdkClientException.create("Unable to unmarshall response (near \"s3cr3t\")",
        new IOException("near \"s3cr3t\""));

    BackendException classified = classify(e);

    assertThat(classified.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(classified).hasMessageContaining("malformed response").hasMessageNotContaining("s3cr3t").hasNoCause();
  }

  @Test
  void anythingElseIsPermanent_withoutItsMessage() {
    BackendException classified = classify(new IllegalStateException("value s3cr3t"));

    assertThat(classified.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(classified).hasMessageContaining("IllegalStateException").hasMessageNotContaining("s3cr3t").hasNoCause();
  }

  private static BackendException classify(Throwable t) {
    return AwsFailureClassifier.classify(t, "GetSecretValue", "db", AwsSecretsManagerProvider.BACKEND, SECRET);
  }
}
