package io.github.rotate4j.aws;

import static io.github.rotate4j.aws.AwsSecretsManagerProviderIT.context;
import static io.github.rotate4j.aws.AwsSecretsManagerProviderIT.promote;
import static io.github.rotate4j.aws.AwsSecretsManagerProviderIT.stagePending;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.CredentialStatus;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** The provider on the SDK's asynchronous client (Netty), against a real moto server. */
@ExtendWith(MotoServerExtension.class)
class AsyncAwsSecretsManagerProviderIT {

  private static final String SECRET = "payments/api-key";
  private static final long WAIT_SECONDS = 30;

  static SecretsManagerAsyncClient asyncClient(URI endpoint, CountingInterceptor calls) {
    return SecretsManagerAsyncClient.builder()
        .region(MotoServer.REGION)
        .endpointOverride(endpoint)
        .credentialsProvider(MotoServer.TEST_CREDENTIALS)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(200)
            .connectionTimeout(Duration.ofSeconds(2)))
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).addExecutionInterceptor(calls))
        .build();
  }

  private static FetchResult fetchAsync(AwsSecretsManagerProvider provider, FetchContext context) {
    return ((AsyncCredentialProvider) provider).fetchAsync(context).toCompletableFuture()
        .orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
  }

  private static Throwable asyncFailure(AwsSecretsManagerProvider provider, FetchContext context) {
    Throwable failure = ((AsyncCredentialProvider) provider).fetchAsync(context).toCompletableFuture()
        .orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).handle((r, e) -> e).join();
    assertThat(failure).as("the fetch failed").isNotNull();
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  @Test
  void builtWithAnAsyncClient_isAnAsyncProvider_withOnlyABlockingClient_isNot(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls);
        AwsSecretsManagerProvider withAsync = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build();
        AwsSecretsManagerProvider blocking = moto.provider(SECRET).build()) {
      assertThat(withAsync).isInstanceOf(AsyncCredentialProvider.class);
      assertThat(withAsync.backendId()).isEqualTo("aws-secretsmanager@" + moto.endpoint());
      assertThat(blocking).isNotInstanceOf(AsyncCredentialProvider.class);
    }
  }

  @Test
  void fetchAsync_makesTheCallsOfTheBlockingFetch_throughARotation(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();

      FetchResult first = fetchAsync(provider, FetchContext.startup("api-key"));
      assertThat(first.current().version()).isEqualTo(v1);
      assertThat(first.current().secretString()).isEqualTo("key-v1");
      assertThat(calls.count("DescribeSecret")).isEqualTo(1);
      assertThat(calls.count("GetSecretValue")).isEqualTo(1);

      calls.clear();
      FetchResult unchanged = fetchAsync(provider, context(first));
      assertThat(calls.count("DescribeSecret")).isEqualTo(1);
      assertThat(calls.count("GetSecretValue")).as("an unchanged secret costs one DescribeSecret").isZero();
      assertThat(unchanged.current()).isSameAs(first.current());

      calls.clear();
      String v2 = stagePending(admin, "key-v2");
      FetchResult staged = fetchAsync(provider, context(unchanged));
      assertThat(calls.count("GetSecretValue")).as("only the new pending version is read").isEqualTo(1);
      assertThat(staged.pending()).map(Credential::secretString).contains("key-v2");

      calls.clear();
      promote(admin, v2, v1);
      FetchResult promoted = fetchAsync(provider, context(staged));
      assertThat(calls.count("GetSecretValue")).as("both versions are already known").isZero();
      assertThat(promoted.current().version()).isEqualTo(v2);
      assertThat(promoted.previous()).containsExactly(first.current());

      calls.clear();
      FetchResult fresh = fetchAsync(provider, FetchContext.startup("other"));
      assertThat(calls.count("GetSecretValue")).as("nothing known: current and previous are read").isEqualTo(2);
      assertThat(fresh.current().secretString()).isEqualTo("key-v2");
      assertThat(fresh.previous()).extracting(Credential::secretString).containsExactly("key-v1");
    }
  }

  /**
   * Two rotations and a new pending version between two polls: AWSPREVIOUS and AWSPENDING both have
   * to be read, one after the other; the previous version must not be taken for one the engine let go.
   */
  @Test
  void fetchAsync_readsANewPreviousAndANewPending_afterSeveralRotations(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build();
        AwsSecretsManagerProvider blockingProvider = moto.provider(SECRET).build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      FetchResult first = fetchAsync(provider, FetchContext.startup("api-key"));
      String v2 = stagePending(admin, "key-v2");
      promote(admin, v2, v1);
      String v3 = stagePending(admin, "key-v3");
      promote(admin, v3, v2);
      String v4 = stagePending(admin, "key-v4");

      calls.clear();
      FetchResult later = fetchAsync(provider, context(first));
      assertThat(calls.count("GetSecretValue")).as("current, previous and pending are all new").isEqualTo(3);
      assertThat(later.current().version()).isEqualTo(v3);
      assertThat(later.previous()).extracting(Credential::version).containsExactly(v2);
      assertThat(later.previous()).extracting(Credential::secretString).containsExactly("key-v2");
      assertThat(later.pending()).map(Credential::version).contains(v4);

      FetchResult blocking = blockingProvider.fetch(context(first));
      assertThat(blocking.toString()).isEqualTo(later.toString());
    }
  }

  @Test
  void blockingFetch_ofTheAsyncProvider_waitsForTheAsyncCalls(MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));
      assertThat(provider.fetch(FetchContext.startup("api-key")).current().secretString()).isEqualTo("key-v1");
      assertThat(calls.count("GetSecretValue")).isEqualTo(1);
    }
  }

  /** The same failure, read with the blocking and with the asynchronous client: same kind, same message. */
  @ParameterizedTest
  @ValueSource(strings = {"missing", "scheduled-for-deletion", "unreadable-json"})
  void failures_areThoseOfTheBlockingClient(String failure, MotoServer moto) {
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls);
        AwsSecretsManagerProvider asyncProvider = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async)
            .format(SecretFormat.JSON).build();
        AwsSecretsManagerProvider blockingProvider = moto.provider(SECRET).format(SecretFormat.JSON).build()) {
      switch (failure) {
        case "scheduled-for-deletion" -> {
          admin.createSecret(r -> r.name(SECRET).secretString("{\"k\":\"v\"}"));
          admin.deleteSecret(r -> r.secretId(SECRET).recoveryWindowInDays(7L));
        }
        case "unreadable-json" -> admin.createSecret(r -> r.name(SECRET).secretString("not-json-do-not-leak"));
        default -> { }
      }
      FetchContext context = FetchContext.startup("api-key");
      Throwable blocking = catchThrown(() -> blockingProvider.fetch(context));
      Throwable asynchronous = asyncFailure(asyncProvider, context);

      assertThat(asynchronous).isInstanceOf(PermanentBackendException.class).isExactlyInstanceOf(blocking.getClass());
      assertThat(asynchronous.getMessage()).isEqualTo(blocking.getMessage())
          .contains("credential 'api-key'").contains(SECRET).doesNotContain("do-not-leak");
    }
  }

  @Test
  void unreachableEndpoint_isTransient_asWithTheBlockingClient() throws IOException {
    URI closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerAsyncClient async = asyncClient(closed, calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build()) {
      Throwable failure = asyncFailure(provider, FetchContext.startup("api-key"));
      assertThat(failure).isInstanceOf(TransientBackendException.class)
          .hasMessageContaining("DescribeSecret").hasMessageContaining(SECRET).hasMessageContaining("credential 'api-key'");
      assertThat(((BackendException) failure).kind()).isEqualTo(io.github.rotate4j.FailureKind.TRANSIENT);
    }
  }

  @Test
  void registryOfCredentialsOnTheAsyncClient_startsAndFollowsARotation(MotoServer moto) throws Exception {
    int count = 50;
    CountingInterceptor calls = new CountingInterceptor();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerAsyncClient async = asyncClient(moto.endpoint(), calls)) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      CredentialRegistry.Builder b = CredentialRegistry.builder();
      for (int i = 0; i < count; i++) {
        b.register("credential-" + i, AwsSecretsManagerProvider.builder(SECRET).asyncClient(async).build(),
            c -> c.refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofHours(1)).jitter(0).build()));
      }
      try (CredentialRegistry registry = b.build().start()) {
        for (String name : registry.names()) {
          assertThat(registry.get(name).get().version()).isEqualTo(v1);
        }
        // one DescribeSecret per attempt: one start-up fetch each, plus any retry (a loaded moto may fail
        // a call) or early first poll, all counted in the statuses
        long attempts = registry.statuses().values().stream()
            .mapToLong(st -> st.successfulRefreshes() + st.failedAttempts()).sum();
        assertThat(calls.count("DescribeSecret")).isBetween((long) count, attempts);

        String v2 = stagePending(admin, "key-v2");
        promote(admin, v2, v1);
        Credential refreshed = registry.get("credential-7").refreshNow().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(refreshed.version()).isEqualTo(v2);
        assertThat(refreshed.secretString()).isEqualTo("key-v2");
        assertThat(registry.get("credential-7").keyRing().previous()).extracting(Credential::version).containsExactly(v1);
      }
      // the client is the caller's: still usable after every provider closed
      assertThat(async.describeSecret(r -> r.secretId(SECRET)).get(WAIT_SECONDS, TimeUnit.SECONDS).name())
          .isEqualTo(SECRET);
    }
  }

  private static Throwable catchThrown(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("expected a failure");
  }
}
