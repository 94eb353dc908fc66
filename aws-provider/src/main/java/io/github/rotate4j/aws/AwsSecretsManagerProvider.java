package io.github.rotate4j.aws;

import static io.github.rotate4j.internal.Checks.once;
import static io.github.rotate4j.internal.Checks.positive;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerServiceClientConfiguration;
import software.amazon.awssdk.services.secretsmanager.endpoints.SecretsManagerEndpointParams;
import software.amazon.awssdk.services.secretsmanager.endpoints.SecretsManagerEndpointProvider;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * Reads one secret from AWS Secrets Manager with its staging labels: {@code AWSCURRENT} becomes
 * the current credential, {@code AWSPREVIOUS} the previous one (kept for the grace window) and
 * {@code AWSPENDING} the pending one. During a rotation, between {@code setSecret} and
 * {@code finishSecret}, the downstream already accepts the pending key, so
 * {@link io.github.rotate4j.RotatingCredential#call} can fall back to it on a rejection.
 *
 * <pre>{@code
 * AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder("prod/payments/api-key")
 *     .region(Region.EU_WEST_1)
 *     .build();
 * RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", provider).build().start();
 * }</pre>
 *
 * <p><b>Calls per poll.</b> Each fetch makes one {@code DescribeSecret} call and reads the
 * version-to-stage map; it then calls {@code GetSecretValue}, always with an explicit
 * {@code VersionId}, only for versions that are not already in the ring the credential holds. An
 * unchanged secret therefore costs one cheap call per poll. An {@code AWSPREVIOUS} version the
 * credential has let go (its grace window ended) is remembered and not read again either. The IAM
 * policy needs {@code secretsmanager:DescribeSecret} and {@code secretsmanager:GetSecretValue} on the secret
 * (plus {@code kms:Decrypt} if it is encrypted with a customer-managed key).
 *
 * <p><b>Values.</b> Text, JSON, binary and database (username/password) secrets, chosen per
 * {@link SecretFormat} (default {@link SecretFormat#AUTO}). Each credential's version is the AWS
 * {@code VersionId}, its issued-at the version's {@code CreatedDate}.
 *
 * <p><b>Rotation window.</b> Secrets Manager rotates at any time inside a window that opens at
 * {@code NextRotationDate} and lasts {@code RotationRules.Duration} (without one: an hour for a
 * schedule in hours, the rest of the UTC day for a schedule in days). The current credential's
 * {@link Credential#nextRotation()} is the window's end plus 5 minutes: the engine polls slowly far
 * from it and closely around it, and reports the secret overdue only once the window has closed
 * without a new version. Inside the window each fetch also announces its next check
 * ({@link FetchResult#nextChange()}): one every window/90, between 1 and 5 minutes (2 minutes for a
 * 3-hour window; 5 minutes for a schedule in hours, whose windows come several times a day), on this
 * instance's own phase, until a rotation in the window is seen. All of it
 * comes from the {@code DescribeSecret} call each poll makes anyway. A secret whose rotation is turned
 * off reports no next rotation.
 *
 * <p><b>Errors.</b> Throttling, 5xx, {@code InternalServiceError}, I/O errors and timeouts are
 * thrown as {@link io.github.rotate4j.TransientBackendException}; access denied, not found,
 * decryption failure, invalid request or parameter, a malformed response and a value that does not
 * fit the format as {@link PermanentBackendException}. Messages name the secret id, never its value.
 *
 * <p><b>Client.</b> By default the provider builds its own {@link SecretsManagerClient} on the
 * URL-connection HTTP client, with SDK retries turned off (Rotate4j's engine retries with backoff
 * and jitter on its own scheduler, and counts each failure in its circuit breaker; SDK retries on top
 * would multiply the attempts and hide failures from the breaker) and with the timeouts set in the
 * builder. That client is closed by {@link #close()}. A client passed with
 * {@link Builder#client(SecretsManagerClient)} is used as it is (configure its retries yourself) and
 * left open.
 *
 * <p><b>Asynchronous client.</b> With {@link Builder#asyncClient(SecretsManagerAsyncClient)} the
 * provider built is also an {@link AsyncCredentialProvider}: the engine starts {@code DescribeSecret}
 * and then only the {@code GetSecretValue} calls that are needed, each when the previous one answers,
 * and no thread waits for AWS meanwhile, so a thousand credentials start in about one fetch's time. The
 * calls made, the versions read and the failure classification are exactly those of the blocking
 * client (one code path decides them). The async client is the caller's: its HTTP implementation
 * ({@code netty-nio-client}, {@code aws-crt-client}), retries and connection pool are configured on
 * it, and the provider leaves it open.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; one provider may serve several credentials.
 */
public class AwsSecretsManagerProvider implements CredentialProvider {

  /** The backend kind used in messages and metrics. */
  public static final String BACKEND = "aws-secretsmanager";

  /** The staging label of the current version. */
  public static final String AWSCURRENT = "AWSCURRENT";
  /** The staging label of the version before the current one. */
  public static final String AWSPREVIOUS = "AWSPREVIOUS";
  /** The staging label of a version staged by a rotation but not yet promoted. */
  public static final String AWSPENDING = "AWSPENDING";

  /** Default bound on one API call, connection and response included. */
  public static final Duration DEFAULT_API_CALL_TIMEOUT = Duration.ofSeconds(5);
  /** Default bound on opening a connection (only for the HTTP client the provider creates). */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  /** Metadata key holding the secret's ARN. */
  public static final String METADATA_ARN = "aws.arn";

  private static final Logger log = LoggerFactory.getLogger(AwsSecretsManagerProvider.class);

  /** The shape of an AWS region id: {@code eu-west-1}, {@code us-gov-west-1}, {@code ap-southeast-7}. */
  private static final Pattern REGION_ID = Pattern.compile("[a-z]{2,}(-[a-z]+)+-[0-9]+");

  private final String secretId;
  /** The blocking client; {@code null} when the provider was built with an asynchronous one. */
  private final @Nullable SecretsManagerClient client;
  private final @Nullable SecretsManagerAsyncClient asyncClient;
  private final boolean ownsClient;
  private final @Nullable AwsRequestOverrideConfiguration requestOverride;
  private final SecretDecoder decoder;
  private final SecretFormat format;
  private final String backendId;
  private final String where;
  private final Clock clock;
  /**
   * Per credential, the AWSPREVIOUS version last handed out. When the engine's ring no longer holds
   * it, the engine let it go (its grace window ended): it is not read again for nothing.
   */
  private final Map<String, String> previousOffered = new ConcurrentHashMap<>();
  /** Versions already warned about (AUTO format, malformed JSON served as text); bounded. */
  private final Set<String> warnedMalformed = ConcurrentHashMap.newKeySet();
  private final @Nullable SecretsManagerChangeWatch changeWatch;
  /** The rotation window of the last {@code DescribeSecret} answer: tells the change watch when to step aside. */
  private volatile @Nullable RotationWindow lastWindow;

  private AwsSecretsManagerProvider(Builder b) {
    this.secretId = b.secretId;
    this.format = b.format == null ? SecretFormat.AUTO : b.format;
    this.decoder = new SecretDecoder(format);
    this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
    SecretsManagerClient blocking = null;
    if (b.asyncClient != null || b.client != null) {
      blocking = b.client;
      this.ownsClient = false;
      // the caller's client keeps its own settings; only timeouts set here are applied per request
      this.requestOverride = b.apiCallTimeout == null
          ? null
          : AwsRequestOverrideConfiguration.builder().apiCallTimeout(b.apiCallTimeout).build();
    } else {
      blocking = createClient(b);
      this.ownsClient = true;
      this.requestOverride = null;
    }
    this.client = blocking;
    this.asyncClient = b.asyncClient;
    SecretsManagerServiceClientConfiguration config = blocking != null
        ? blocking.serviceClientConfiguration()
        : Objects.requireNonNull(b.asyncClient, "asyncClient").serviceClientConfiguration();
    if (ownsClient && blocking != null && config.region() != null && !isRegionId(config.region())) {
      // a region from the SDK's chain (AWS_REGION, profile) that no AWS region looks like
      blocking.close();
      throw new IllegalStateException("the AWS region for secret '" + secretId + "' is '" + config.region().id()
          + "', which is not an AWS region id such as eu-west-1; fix AWS_REGION or the profile, or set region(...)");
    }
    this.backendId = BACKEND + "@" + describeEndpoint(config);
    this.where = describeLocation(config);
    this.changeWatch = b.changeWatch;
    if (changeWatch != null) {
      changeWatch.register(secretId, this);
    }
  }

  /** Whether {@code region} is one the SDK knows or has the shape of an AWS region id ({@code eu-west-1}). */
  static boolean isRegionId(Region region) {
    return Region.regions().contains(region) || REGION_ID.matcher(region.id()).matches();
  }

  /** {@code region eu-west-1, endpoint https://secretsmanager.eu-west-1.amazonaws.com}, for messages. */
  private static String describeLocation(SecretsManagerServiceClientConfiguration config) {
    String region = config.region() == null ? "no region" : "region " + config.region().id();
    String endpoint = config.endpointOverride().map(URI::toString).orElseGet(() -> {
      if (config.region() == null) {
        return null;
      }
      try {
        return SecretsManagerEndpointProvider.defaultProvider()
            .resolveEndpoint(SecretsManagerEndpointParams.builder().region(config.region()).build())
            .join().endpointUrl().toUri().toString();
      } catch (RuntimeException e) {
        return null;
      }
    });
    return endpoint == null ? region : region + ", endpoint " + endpoint;
  }

  /** Starts a provider for the secret with the given name or ARN. */
  public static Builder builder(String secretId) {
    return new Builder(secretId);
  }

  private static SecretsManagerClient createClient(Builder b) {
    Duration callTimeout = b.apiCallTimeout == null ? DEFAULT_API_CALL_TIMEOUT : b.apiCallTimeout;
    SecretsManagerClientBuilder cb = SecretsManagerClient.builder()
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            // Rotate4j retries with backoff on its own scheduler and feeds every failure to its
            // circuit breaker; the SDK's own retries would multiply attempts behind its back.
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallTimeout(callTimeout)
            .build());
    if (b.httpClient != null) {
      cb.httpClient(b.httpClient); // the caller's HTTP client: the SDK leaves it open on close
    } else {
      Duration connect = b.connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : b.connectTimeout;
      cb.httpClientBuilder(UrlConnectionHttpClient.builder()
          .connectionTimeout(connect)
          .socketTimeout(callTimeout));
    }
    if (b.region != null) {
      cb.region(b.region);
    }
    if (b.endpointOverride != null) {
      cb.endpointOverride(b.endpointOverride);
    }
    if (b.credentialsProvider != null) {
      cb.credentialsProvider(b.credentialsProvider);
    }
    try {
      return cb.build();
    } catch (SdkException e) {
      throw new IllegalStateException(
          "cannot create a Secrets Manager client for secret '" + b.secretId + "': " + e.getMessage()
              + " (set region(...) on the builder, or AWS_REGION in the environment)", e);
    }
  }

  private static String describeEndpoint(SecretsManagerServiceClientConfiguration config) {
    return config.endpointOverride().map(URI::toString)
        .orElseGet(() -> config.region() == null ? "default" : config.region().id());
  }

  @Override
  public String backend() {
    return BACKEND;
  }

  @Override
  public String path() {
    return secretId;
  }

  /** {@code aws-secretsmanager@<endpoint override or region>}. */
  @Override
  public String backendId() {
    return backendId;
  }

  /**
   * Reads the secret's stages with {@code DescribeSecret} and the values of versions not yet in
   * {@code context.knownRing()} with {@code GetSecretValue} by {@code VersionId}. With a
   * {@link Builder#changeWatch change watch}, a scheduled poll whose secret a recent batch shows
   * unchanged returns the known ring without a call of its own.
   *
   * @throws io.github.rotate4j.TransientBackendException for throttling, 5xx, I/O errors, timeouts
   * @throws PermanentBackendException for access denied, not found, decryption failure, invalid
   *     requests, a secret without AWSCURRENT or scheduled for deletion, a malformed response or a
   *     value that does not fit the configured format
   */
  @Override
  public FetchResult fetch(FetchContext context) {
    if (changeWatch != null) {
      Optional<FetchResult> unchanged = changeWatch.unchanged(secretId, context, where, lastWindow);
      if (unchanged.isPresent()) {
        return unchanged.get(); // a recent batch shows the ring's AWSCURRENT: no call of our own
      }
    }
    String credentialName = context.credentialName();
    SecretsManagerClient blocking = blockingClient();
    DescribeSecretResponse described = call("DescribeSecret", credentialName,
        () -> blocking.describeSecret(describeRequest()));
    return fetched(context, described, blocking::getSecretValue);
  }

  private DescribeSecretRequest describeRequest() {
    return DescribeSecretRequest.builder().secretId(secretId).overrideConfiguration(requestOverride).build();
  }

  private SecretsManagerClient blockingClient() {
    if (client == null) {
      throw new IllegalStateException("provider for secret '" + secretId + "' was built with an asynchronous client");
    }
    return client;
  }

  /** Reads one version's value: the blocking client's call, or an answer the asynchronous path already has. */
  @FunctionalInterface
  private interface VersionReader {
    GetSecretValueResponse read(GetSecretValueRequest request);
  }

  /**
   * What the backend holds, from {@code DescribeSecret}'s answer: the decisions of a fetch (which
   * stages count, which versions are reused or read, what a version that vanished means, how values
   * are decoded and failures classified), shared by the blocking and the asynchronous client.
   */
  private FetchResult fetched(FetchContext context, DescribeSecretResponse described, VersionReader reader) {
    String credentialName = context.credentialName();
    if (described.deletedDate() != null) {
      throw new PermanentBackendException(credentialName, BACKEND, secretId,
          "secret '" + secretId + "' (" + where + ") is scheduled for deletion (since " + described.deletedDate() + ")", null);
    }
    Map<String, List<String>> stages = described.versionIdsToStages();
    String currentId = versionWithStage(stages, AWSCURRENT)
        .orElseThrow(() -> new PermanentBackendException(credentialName, BACKEND, secretId,
            "secret '" + secretId + "' (" + where + ") has no version labelled " + AWSCURRENT, null));
    Optional<String> previousId = versionWithStage(stages, AWSPREVIOUS).filter(id -> !id.equals(currentId));
    Optional<String> pendingId = versionWithStage(stages, AWSPENDING).filter(id -> !id.equals(currentId));

    Optional<KeyRing> known = context.knownRing();
    Optional<RotationWindow> window = RotationWindow.of(described);
    lastWindow = window.orElse(null);
    Credential current = withNextRotation(
        version(currentId, true, described, known, credentialName, reader).orElseThrow(),
        window.map(RotationWindow::nextRotation).orElse(null));
    // the stages are the whole story: a version without AWSPREVIOUS is no longer valid
    FetchResult.Builder result = FetchResult.builder(current).historyReported(true)
        .nextChange(window.flatMap(w -> w.nextCheck(clock.instant())).orElse(null));
    Optional<Credential> previous = previousId
        .filter(id -> !letGo(credentialName, id, known))
        .flatMap(id -> version(id, false, described, known, credentialName, reader));
    previous.ifPresent(result::previous);
    pendingId.flatMap(id -> version(id, false, described, known, credentialName, reader)).ifPresent(result::pending);
    FetchResult fetched = result.build();
    // remembered only once the whole answer is there: a fetch that fails after reading AWSPREVIOUS (or
    // that the asynchronous path runs again) has not handed it out
    previous.ifPresent(p -> previousOffered.put(credentialName, p.version()));
    log.debug("Read secret '{}' for credential '{}': {}", secretId, credentialName, fetched);
    return fetched;
  }

  /**
   * Whether the engine let the AWSPREVIOUS version {@code id} go: it was handed out before, and the
   * ring it holds now does not have it (its grace window ended, or grace is off). Such a version is
   * not read again; without this, every poll after a rotation's grace window would pay for a
   * {@code GetSecretValue} whose result the engine throws away.
   */
  private boolean letGo(String credentialName, String id, Optional<KeyRing> known) {
    return known.isPresent()
        && id.equals(previousOffered.get(credentialName))
        && known.get().entry(id).isEmpty();
  }

  /**
   * The credential for {@code versionId}: the known one if the ring has it, else read by version.
   * A non-current version that vanished between the two calls (labels moved) is left out.
   */
  private Optional<Credential> version(
      String versionId, boolean required, DescribeSecretResponse described, Optional<KeyRing> known,
      String credentialName, VersionReader reader) {
    Optional<Credential> reused = known.flatMap(ring -> ring.entry(versionId)).map(KeyRing.Entry::credential);
    if (reused.isPresent()) {
      return reused;
    }
    GetSecretValueRequest request = GetSecretValueRequest.builder()
        .secretId(secretId)
        .versionId(versionId)
        .overrideConfiguration(requestOverride)
        .build();
    GetSecretValueResponse response;
    try {
      response = reader.read(request);
    } catch (ResourceNotFoundException gone) {
      if (!required) {
        log.debug("Version {} of secret '{}' disappeared while reading it; leaving it out", versionId, secretId);
        return Optional.empty();
      }
      throw AwsFailureClassifier.classify(gone, "GetSecretValue", credentialName, BACKEND, secretId, where);
    } catch (SdkException e) {
      throw AwsFailureClassifier.classify(e, "GetSecretValue", credentialName, BACKEND, secretId, where);
    }
    SecretValue value;
    try {
      SdkBytes binary = response.secretBinary();
      value = decoder.decode(response.secretString(), binary == null ? null : binary.asByteArray());
      warnIfMalformedJson(credentialName, versionId, response.secretString(), value);
    } catch (SecretDecoder.UndecodableSecretException e) {
      throw new PermanentBackendException(credentialName, BACKEND, secretId,
          "version " + versionId + " of secret '" + secretId + "': " + e.getMessage(), null);
    }
    Instant issuedAt = firstNonNull(response.createdDate(), described.lastChangedDate(), described.createdDate());
    Credential.Builder credential = Credential.builder(versionId)
        .value(value)
        .issuedAt(issuedAt == null ? clock.instant() : issuedAt);
    String arn = response.arn() != null ? response.arn() : described.arn();
    if (arn != null) {
      credential.metadata(METADATA_ARN, arn);
    }
    return Optional.of(credential.build());
  }

  /** AUTO serves text that starts like a JSON object but is not one as text: say so, once per version. */
  private void warnIfMalformedJson(String credentialName, String versionId, String text, SecretValue value) {
    if (format != SecretFormat.AUTO || !(value instanceof SecretValue.Text) || text == null
        || !JsonObjectParser.looksLikeObject(text)) {
      return;
    }
    if (warnedMalformed.size() > 64) {
      warnedMalformed.clear();
    }
    if (!warnedMalformed.add(versionId)) {
      return;
    }
    String reason;
    try {
      JsonObjectParser.parseObject(text);
      return;
    } catch (JsonObjectParser.MalformedJsonException e) {
      reason = e.getMessage();
    }
    log.warn("credential '{}': version {} of secret '{}' starts like a JSON object but is not valid JSON ({}); "
        + "serving it as text. Fix the secret, or set format(STRING) if text is meant",
        credentialName, versionId, secretId, reason);
  }

  private static Credential withNextRotation(Credential credential, @Nullable Instant nextRotation) {
    if (Objects.equals(credential.nextRotation().orElse(null), nextRotation)) {
      return credential;
    }
    return credential.toBuilder().nextRotation(nextRotation).build();
  }

  private static Optional<String> versionWithStage(Map<String, List<String>> stages, String stage) {
    return stages.entrySet().stream()
        .filter(e -> e.getValue() != null && e.getValue().contains(stage))
        .map(Map.Entry::getKey)
        .findFirst();
  }

  private <T> T call(String operation, String credentialName, Supplier<T> call) {
    try {
      return call.get();
    } catch (SdkException e) {
      throw AwsFailureClassifier.classify(e, operation, credentialName, BACKEND, secretId, where);
    }
  }

  @SafeVarargs
  private static <T> @Nullable T firstNonNull(@Nullable T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  /** Closes the Secrets Manager client if this provider created it; a client passed in stays open. */
  @Override
  public void close() {
    if (changeWatch != null) {
      changeWatch.release(secretId, this);
    }
    if (ownsClient && client != null) {
      client.close();
    }
  }

  // ---- asynchronous client ----------------------------------------------------------------------

  /**
   * The blocking fetch's calls, made with the asynchronous client: {@code DescribeSecret}, then
   * {@link #fetched} decides. Each time it needs a version's value that has not been read, it stops
   * ({@link NotReadYet}); that {@code GetSecretValue} is sent, and on its answer (or failure, kept to
   * be thrown where the blocking call would have thrown it) {@code fetched} runs again. So the calls,
   * their order and the failure classification are the blocking ones, and at most three
   * {@code GetSecretValue} calls follow one {@code DescribeSecret}, one after the other.
   */
  final CompletableFuture<FetchResult> fetchWithAsyncClient(FetchContext context) {
    SecretsManagerAsyncClient async = Objects.requireNonNull(asyncClient, "asyncClient");
    String credentialName = context.credentialName();
    CompletableFuture<DescribeSecretResponse> described;
    try {
      described = async.describeSecret(describeRequest());
    } catch (SdkException e) {
      return CompletableFuture.failedFuture(classifyAsync(e, "DescribeSecret", credentialName));
    }
    return described
        .handle((response, failure) -> {
          if (failure != null) {
            throw classifyAsync(failure, "DescribeSecret", credentialName);
          }
          return response;
        })
        .thenCompose(response -> fetchedAsync(async, context, response, new ConcurrentHashMap<>()));
  }

  private CompletableFuture<FetchResult> fetchedAsync(SecretsManagerAsyncClient async, FetchContext context,
      DescribeSecretResponse described, Map<String, VersionRead> reads) {
    GetSecretValueRequest missing;
    try {
      return CompletableFuture.completedFuture(fetched(context, described, request -> {
        VersionRead read = reads.get(request.versionId());
        if (read == null) {
          throw new NotReadYet(request);
        }
        return read.get();
      }));
    } catch (NotReadYet stop) {
      missing = stop.request;
    }
    CompletableFuture<GetSecretValueResponse> answer;
    try {
      answer = async.getSecretValue(missing);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e); // thrown where the blocking call would have thrown it
    }
    return answer.handle((response, failure) -> {
      reads.put(missing.versionId(), new VersionRead(response, failure == null ? null : unwrap(failure)));
      return reads;
    }).thenCompose(known -> fetchedAsync(async, context, described, known));
  }

  /** One {@code GetSecretValue} answer of the asynchronous path: the response, or what it failed with. */
  private record VersionRead(@Nullable GetSecretValueResponse response, @Nullable Throwable failure) {
    /** The response, or the failure thrown as the blocking call would have thrown it. */
    GetSecretValueResponse get() {
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null || response == null) {
        throw SdkClientException.create("GetSecretValue failed", failure);
      }
      return response;
    }
  }

  /** {@link #fetched} needs a version that has not been read yet; no stack trace: it is not an error. */
  private static final class NotReadYet extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient GetSecretValueRequest request;

    NotReadYet(GetSecretValueRequest request) {
      super(null, null, false, false);
      this.request = request;
    }
  }

  private RuntimeException classifyAsync(Throwable failure, String operation, String credentialName) {
    Throwable cause = unwrap(failure);
    return cause instanceof SdkException
        ? AwsFailureClassifier.classify(cause, operation, credentialName, BACKEND, secretId, where)
        : cause instanceof RuntimeException re ? re : new CompletionException(cause);
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Built with an asynchronous client: the engine calls {@link #fetchAsync}, and no thread waits for AWS. */
  private static final class Async extends AwsSecretsManagerProvider implements AsyncCredentialProvider {

    Async(Builder b) {
      super(b);
    }

    @Override
    public CompletionStage<FetchResult> fetchAsync(FetchContext context) {
      return fetchWithAsyncClient(context);
    }

    /** Waits for {@link #fetchAsync}: there is no blocking client. */
    @Override
    public FetchResult fetch(FetchContext context) {
      return AsyncCredentialProvider.super.fetch(context);
    }
  }

  @Override
  public String toString() {
    return "AwsSecretsManagerProvider[secretId=" + secretId + ", backend=" + backendId + "]";
  }

  /**
   * Configures an {@link AwsSecretsManagerProvider}. Not thread-safe; each setting may be made once.
   *
   * <p>Either let the provider build its client (region, endpoint override, credentials provider,
   * HTTP client and timeouts; anything left unset comes from the SDK's default chains) or pass a
   * whole {@link SecretsManagerClient}; the two are exclusive, except for
   * {@link #apiCallTimeout(Duration)}, which is then applied to each request.
   */
  public static final class Builder {
    private final String secretId;
    private @Nullable Region region;
    private @Nullable URI endpointOverride;
    private @Nullable AwsCredentialsProvider credentialsProvider;
    private @Nullable SdkHttpClient httpClient;
    private @Nullable SecretsManagerClient client;
    private @Nullable SecretsManagerAsyncClient asyncClient;
    private @Nullable Duration apiCallTimeout;
    private @Nullable Duration connectTimeout;
    private @Nullable SecretFormat format;
    private @Nullable Clock clock;
    private @Nullable SecretsManagerChangeWatch changeWatch;

    private Builder(String secretId) {
      Objects.requireNonNull(secretId, "secretId");
      if (secretId.isBlank()) {
        throw new IllegalArgumentException("secretId must not be blank");
      }
      this.secretId = secretId;
    }

    /**
     * The AWS region (default: the SDK's region chain, e.g. {@code AWS_REGION}).
     *
     * @throws IllegalArgumentException if the SDK does not know the region and its id does not have
     *     the shape of one ({@code us-east1} instead of {@code us-east-1})
     */
    public Builder region(Region region) {
      Objects.requireNonNull(region, "region");
      if (!isRegionId(region)) {
        throw new IllegalArgumentException(
            "region must be an AWS region id such as eu-west-1 or us-east-1, but was '" + region.id() + "'");
      }
      this.region = once("region", this.region, region);
      return this;
    }

    /** The AWS region by id, e.g. {@code eu-west-1}. */
    public Builder region(String region) {
      Objects.requireNonNull(region, "region");
      if (region.isBlank()) {
        throw new IllegalArgumentException("region must not be blank");
      }
      return region(Region.of(region));
    }

    /** Another endpoint, e.g. a VPC endpoint or a local emulator. */
    public Builder endpointOverride(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpointOverride");
      if (endpoint.getScheme() == null || endpoint.getHost() == null) {
        throw new IllegalArgumentException("endpointOverride must be an absolute URI with a host, but was " + endpoint);
      }
      this.endpointOverride = once("endpointOverride", this.endpointOverride, endpoint);
      return this;
    }

    /** Where the AWS credentials come from (default: the SDK's default credentials chain). */
    public Builder credentialsProvider(AwsCredentialsProvider provider) {
      this.credentialsProvider = once("credentialsProvider", this.credentialsProvider, provider);
      return this;
    }

    /**
     * The HTTP client for the SDK client the provider creates (default: a URL-connection client
     * created and closed by the provider). A client passed here is not closed by the provider.
     */
    public Builder httpClient(SdkHttpClient httpClient) {
      this.httpClient = once("httpClient", this.httpClient, httpClient);
      return this;
    }

    /**
     * A ready Secrets Manager client to use instead of building one. The provider does not close it
     * and does not change its retry settings: turn SDK retries off or down yourself.
     */
    public Builder client(SecretsManagerClient client) {
      this.client = once("client", this.client, client);
      return this;
    }

    /**
     * A ready asynchronous Secrets Manager client: the provider built is then an
     * {@link AsyncCredentialProvider}, and no thread waits while a fetch is on the network. Its HTTP
     * implementation is the caller's choice (e.g. {@code software.amazon.awssdk:netty-nio-client}
     * with {@code NettyNioAsyncHttpClient}); give its pool at least as many connections as the
     * credentials that may fetch at once ({@code maxConcurrency}), or start-up waits for free ones.
     * As with {@link #client(SecretsManagerClient)}, the provider neither closes it nor changes its
     * retry settings (turn SDK retries off or down yourself), and set {@link #apiCallTimeout} here
     * or on the client so that every call ends. Exclusive with {@code client(...)} and the settings
     * for building one.
     */
    public Builder asyncClient(SecretsManagerAsyncClient client) {
      this.asyncClient = once("asyncClient", this.asyncClient, client);
      return this;
    }

    /**
     * The bound on each API call (default {@link #DEFAULT_API_CALL_TIMEOUT}); a call that takes
     * longer fails as a transient error.
     */
    public Builder apiCallTimeout(Duration timeout) {
      this.apiCallTimeout = once("apiCallTimeout", this.apiCallTimeout, positive("apiCallTimeout", timeout));
      return this;
    }

    /** The bound on opening a connection (default {@link #DEFAULT_CONNECT_TIMEOUT}); only for the default HTTP client. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = once("connectTimeout", this.connectTimeout, positive("connectTimeout", timeout));
      return this;
    }

    /**
     * The clock for the few instants the provider makes up itself (the issue time of a version AWS
     * gives no date for, the next check inside a rotation window); default the system clock. Pass the
     * credential's clock when it runs on another one.
     */
    public Builder clock(Clock clock) {
      this.clock = once("clock", this.clock, clock);
      return this;
    }

    /**
     * Lets scheduled polls learn from one shared {@code BatchGetSecretValue} call whether the secret
     * changed (see {@link SecretsManagerChangeWatch}); default none: one {@code DescribeSecret} per
     * poll. The watch must be built on the same client as {@link #client(SecretsManagerClient)}.
     */
    public Builder changeWatch(SecretsManagerChangeWatch watch) {
      this.changeWatch = once("changeWatch", this.changeWatch, watch);
      return this;
    }

    /** How to interpret the value (default {@link SecretFormat#AUTO}). */
    public Builder format(SecretFormat format) {
      this.format = once("format", this.format, format);
      return this;
    }

    /**
     * Builds only the Secrets Manager client these settings describe — region, endpoint, credentials,
     * HTTP client and timeouts, with the SDK's own retries off (Rotate4j retries) — so that several
     * providers and a {@link SecretsManagerChangeWatch} can share one client: pass it to
     * {@link #client} of each. The caller owns the client and closes it after the providers.
     *
     * @throws IllegalStateException if a client was passed in already, or the SDK cannot build one
     *     (e.g. no region anywhere)
     */
    public SecretsManagerClient buildClient() {
      if (client != null || asyncClient != null) {
        throw new IllegalStateException("buildClient() builds a client from region, endpoint and the other client "
            + "settings, but " + (client != null ? "client(...)" : "asyncClient(...)") + " was given");
      }
      return createClient(this);
    }

    /**
     * Builds the provider and, unless a client was passed in, its Secrets Manager client.
     *
     * @return a provider that is also an {@link AsyncCredentialProvider} when an
     *     {@link #asyncClient} was given
     * @throws IllegalStateException if a client was passed together with settings for building one,
     *     or both a blocking and an asynchronous client were, or the SDK cannot build a client (e.g.
     *     no region anywhere)
     */
    public AwsSecretsManagerProvider build() {
      if (client != null && asyncClient != null) {
        throw new IllegalStateException("client(...) and asyncClient(...) exclude each other; pass one of them");
      }
      String given = client != null ? "client(...)" : "asyncClient(...)";
      if (client != null || asyncClient != null) {
        List<String> conflicting = new ArrayList<>();
        if (region != null) {
          conflicting.add("region");
        }
        if (endpointOverride != null) {
          conflicting.add("endpointOverride");
        }
        if (credentialsProvider != null) {
          conflicting.add("credentialsProvider");
        }
        if (httpClient != null) {
          conflicting.add("httpClient");
        }
        if (connectTimeout != null) {
          conflicting.add("connectTimeout");
        }
        if (!conflicting.isEmpty()) {
          throw new IllegalStateException(given + " was given, so " + conflicting
              + " cannot be applied; configure them on the client instead");
        }
      }
      if (changeWatch != null && asyncClient != null) {
        throw new IllegalStateException("changeWatch(...) for secret '" + secretId + "' reads through a blocking "
            + "SecretsManagerClient; it cannot be combined with asyncClient(...)");
      }
      if (changeWatch != null && changeWatch.client() != client) {
        throw new IllegalStateException("changeWatch(...) for secret '" + secretId + "' reads through another "
            + "SecretsManagerClient; pass the watch's client with client(...) so that both read the same account and region");
      }
      if (httpClient != null && connectTimeout != null) {
        throw new IllegalStateException("connectTimeout applies only to the default HTTP client, but httpClient(...) was given");
      }
      return asyncClient != null ? new Async(this) : new AwsSecretsManagerProvider(this);
    }
  }
}
