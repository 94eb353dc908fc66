package io.github.rotate4j.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.github.rotate4j.Credential;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot path: reading the current credential. Compared with the floor (one volatile read of a
 * field) and with a Caffeine {@code LoadingCache} that refreshes the same secret after write, the
 * usual hand-rolled alternative.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar GetBenchmark -t 1 -prof gc} (and {@code -t 2}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GetBenchmark {

  private static final String KEY = "api-key";

  private RotatingCredential credential;
  private LoadingCache<String, Credential> caffeine;
  private volatile Credential floor;

  @Setup
  public void setUp() {
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue("benchmark-key").build();
    credential = RotatingCredential.builder(KEY, backend).build().start();
    floor = credential.get();
    caffeine = Caffeine.newBuilder()
        .refreshAfterWrite(Duration.ofMinutes(5))
        .build(k -> backend.fetch(FetchContext.startup(k)).current());
    caffeine.get(KEY);
  }

  @TearDown
  public void tearDown() {
    credential.close();
  }

  @Benchmark
  public Credential volatileRead() {
    return floor;
  }

  @Benchmark
  public Credential rotate4jGet() {
    return credential.get();
  }

  @Benchmark
  public Credential caffeineLoadingCacheGet() {
    return caffeine.get(KEY);
  }
}
