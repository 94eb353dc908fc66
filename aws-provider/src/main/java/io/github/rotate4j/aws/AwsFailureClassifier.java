package io.github.rotate4j.aws;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Maps AWS SDK failures onto Rotate4j's transient/permanent split. Messages name the operation and
 * the secret id, the AWS error code and HTTP status, never a secret value.
 */
final class AwsFailureClassifier {

  /** Error codes worth retrying whatever their HTTP status. */
  private static final Set<String> TRANSIENT_CODES = Set.of(
      "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
      "RequestThrottled", "RequestThrottledException", "ProvisionedThroughputExceededException",
      "InternalServiceError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
      "RequestTimeout", "RequestTimeoutException",
      // temporary credentials that ran out: the credentials provider fetches new ones on the next call
      "ExpiredToken", "ExpiredTokenException", "RequestExpired");

  /** Error codes that retrying will not fix. */
  private static final Set<String> PERMANENT_CODES = Set.of(
      "AccessDeniedException", "ResourceNotFoundException", "DecryptionFailure", "InvalidRequestException",
      "InvalidParameterException", "ValidationException", "UnrecognizedClientException",
      "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId", "MissingAuthenticationToken");

  private AwsFailureClassifier() {}

  /**
   * Classifies a failure of {@code operation} on {@code secretId}.
   *
   * @param credentialName the credential asking, or {@code null}
   */
  static BackendException classify(
      Throwable failure, String operation, String credentialName, String backend, String secretId) {
    return classify(failure, operation, credentialName, backend, secretId, null);
  }

  /**
   * Classifies a failure of {@code operation} on {@code secretId}, naming {@code where} the call
   * went (region and endpoint) so that a wrong region, endpoint or secret id can be told apart.
   *
   * @param credentialName the credential asking, or {@code null}
   * @param where the region and endpoint, e.g. {@code region eu-west-1, endpoint https://...}, or
   *     {@code null}
   */
  static BackendException classify(
      Throwable failure, String operation, String credentialName, String backend, String secretId, @Nullable String where) {
    String prefix = operation + " failed for secret '" + secretId + "'" + (where == null ? "" : " (" + where + ")") + ": ";
    if (failure instanceof SdkServiceException service) {
      return classifyService(service, prefix, credentialName, backend, secretId);
    }
    if (failure instanceof ApiCallTimeoutException || failure instanceof ApiCallAttemptTimeoutException) {
      return new TransientBackendException(
          credentialName, backend, secretId, prefix + "timed out (" + failure.getClass().getSimpleName() + ")", failure);
    }
    if (failure instanceof AbortedException) {
      return new TransientBackendException(credentialName, backend, secretId, prefix + "the call was interrupted", failure);
    }
    if (failure instanceof SdkClientException client) {
      // checked before I/O: the JSON parser's exceptions are IOExceptions too
      if (isUnreadableResponse(client)) {
        // the parser's message may quote the body, which may hold the secret: keep neither
        return new PermanentBackendException(
            credentialName, backend, secretId, prefix + "malformed response from Secrets Manager", null);
      }
      if (hasCause(client, IOException.class, UncheckedIOException.class, TimeoutException.class)) {
        Throwable io = rootCause(client);
        if (io instanceof SSLException || hasCause(client, SSLException.class)) {
          // a TLS handshake with a server that speaks no TLS (or another certificate): retrying will not help
          return new PermanentBackendException(credentialName, backend, secretId,
              prefix + "TLS failure (" + io.getClass().getSimpleName() + "); check the endpoint's scheme and certificate",
              failure);
        }
        String what = io instanceof ConnectException || io instanceof UnknownHostException
            || io instanceof NoRouteToHostException
            ? "cannot reach Secrets Manager" : "I/O error";
        return new TransientBackendException(credentialName, backend, secretId,
            prefix + what + " (" + io.getClass().getSimpleName() + ")", failure);
      }
      return new PermanentBackendException(
          credentialName, backend, secretId, prefix + "client error: " + client.getMessage(), failure);
    }
    return new PermanentBackendException(
        credentialName, backend, secretId, prefix + "unexpected " + failure.getClass().getName(), null);
  }

  private static BackendException classifyService(
      SdkServiceException e, String prefix, String credentialName, String backend, String secretId) {
    String code = null;
    String awsMessage = null;
    if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
      code = aws.awsErrorDetails().errorCode();
      awsMessage = aws.awsErrorDetails().errorMessage();
    }
    int status = e.statusCode();
    String detail = (code == null ? describeStatus(status) : code) + " (HTTP " + status + ")"
        + (awsMessage == null || awsMessage.isBlank() ? "" : ": " + awsMessage)
        + ("ResourceNotFoundException".equals(code) ? "; check the secret id, and that it lives in this region" : "");
    boolean transientFailure;
    if (code != null && TRANSIENT_CODES.contains(code)) {
      transientFailure = true;
    } else if (code != null && PERMANENT_CODES.contains(code)) {
      transientFailure = false;
    } else {
      transientFailure = status == 429 || status >= 500 || e.isThrottlingException();
    }
    return transientFailure
        ? new TransientBackendException(credentialName, backend, secretId, prefix + detail, e, status)
        : new PermanentBackendException(credentialName, backend, secretId, prefix + detail, e, status);
  }

  /** For error bodies the SDK could not read (e.g. an XML error from a proxy or an emulator). */
  private static String describeStatus(int status) {
    return switch (status) {
      case 400 -> "bad request";
      case 401, 403 -> "access denied";
      case 404 -> "not found";
      case 429 -> "throttled";
      default -> status >= 500 ? "server error" : "error";
    };
  }

  @SafeVarargs
  private static boolean hasCause(Throwable t, Class<? extends Throwable>... kinds) {
    Throwable cur = t.getCause();
    for (int depth = 0; cur != null && depth < 10; depth++, cur = cur.getCause()) {
      for (Class<? extends Throwable> kind : kinds) {
        if (kind.isInstance(cur)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isUnreadableResponse(SdkClientException e) {
    String message = e.getMessage();
    if (message != null && message.startsWith("Unable to unmarshall")) {
      return true;
    }
    for (Throwable cur = e.getCause(); cur != null; cur = cur.getCause()) {
      if (cur.getClass().getName().contains(".jackson.")) {
        return true;
      }
    }
    return false;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable cur = t;
    for (int depth = 0; cur.getCause() != null && depth < 10; depth++) {
      cur = cur.getCause();
    }
    return cur;
  }
}
