package io.github.rotate4j.benchmarks.aws;

import com.amazonaws.secretsmanager.caching.SecretCache;
import com.amazonaws.secretsmanager.caching.SecretCacheConfiguration;
import io.github.rotate4j.Credential;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Hot-path reads of one AWS secret with a warm cache: Rotate4j's {@code get()} against the AWS
 * caching library's {@code SecretCache.getSecretString}. Both read from a moto server started for the
 * trial; neither calls it while measuring (Rotate4j polls every hour, SecretCache's TTL is an hour).
 *
 * <p>Run with {@code -t 1} and {@code -t 2} and {@code -prof gc} for ops/s and B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AwsReadBenchmark {

  private static final String SECRET = "bench/api-key";

  private MotoProcess moto;
  private SecretsManagerClient admin;
  private RotatingCredential credential;
  private SecretsManagerClient cacheClient;
  private SecretCache cache;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    moto = MotoProcess.start();
    admin = moto.client();
    admin.createSecret(r -> r.name(SECRET).secretString("sk_live_0123456789abcdef"));

    AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET)
        .region(MotoProcess.REGION)
        .endpointOverride(moto.endpoint())
        .credentialsProvider(MotoProcess.CREDENTIALS)
        .build();
    credential = RotatingCredential.builder("bench", provider)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofHours(1)).build())
        .build()
        .start();

    cacheClient = moto.client();
    cache = new SecretCache(new SecretCacheConfiguration().withClient(cacheClient));
    if (!credential.get().secretString().equals(cache.getSecretString(SECRET))) {
      throw new IllegalStateException("the two caches disagree on the warm value");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    credential.close();
    cache.close();
    cacheClient.close();
    admin.close();
    moto.close();
  }

  /** Rotate4j: the current credential (one volatile read). */
  @Benchmark
  public Credential rotate4j_get() {
    return credential.get();
  }

  /** Rotate4j: the current credential's string, the like-for-like of {@code getSecretString}. */
  @Benchmark
  public String rotate4j_getSecretString() {
    return credential.get().secretString();
  }

  /** AWS caching library: {@code SecretCache.getSecretString} with a warm cache. */
  @Benchmark
  public String secretCache_getSecretString() {
    return cache.getSecretString(SECRET);
  }
}
