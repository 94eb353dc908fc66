package io.github.rotate4j.benchmarks;

import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.util.Optional;
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
 * The server side's hot path: {@code verify(presentedKey)}, a constant-time comparison against the
 * key ring plus a lock-free match count, with concurrent callers counting on the same credential.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar VerifyBenchmark -t 1} (and {@code -t 2},
 * where the threads count matches on the same counters).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VerifyBenchmark {

  private static final String KEY = "benchmark-key-0123456789abcdef";

  private RotatingCredential credential;

  @Setup
  public void setUp() {
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue(KEY).build();
    credential = RotatingCredential.builder("api-key", backend).build().start();
  }

  @TearDown
  public void tearDown() {
    credential.close();
  }

  @Benchmark
  public Optional<KeyMatch> verifyMatching() {
    return credential.verify(KEY);
  }

  @Benchmark
  public Optional<KeyMatch> verifyUnknown() {
    return credential.verify("not-a-key-of-this-credential");
  }
}
