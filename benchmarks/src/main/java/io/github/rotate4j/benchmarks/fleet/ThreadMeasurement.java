package io.github.rotate4j.benchmarks.fleet;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Real threads, real time: how long a registry takes to start against a backend with a fixed
 * latency, blocking and asynchronous, and how many threads credentials add (stand-alone and in a
 * registry).
 */
final class ThreadMeasurement {

  private final PrintStream out;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

  ThreadMeasurement(PrintStream out) {
    this.out = out;
  }

  /** A blocking backend: every fetch sleeps {@code latency} on the calling thread. */
  static final class BlockingProvider implements CredentialProvider {
    private final Duration latency;
    private final AtomicInteger inFlight;
    private final AtomicInteger maxInFlight;

    BlockingProvider(Duration latency, AtomicInteger inFlight, AtomicInteger maxInFlight) {
      this.latency = latency;
      this.inFlight = inFlight;
      this.maxInFlight = maxInFlight;
    }

    @Override
    public String backend() {
      return "blocking";
    }

    @Override
    public String path() {
      return "secret/app";
    }

    @Override
    public FetchResult fetch(FetchContext context) {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        if (!latency.isZero()) {
          Thread.sleep(latency.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        inFlight.decrementAndGet();
      }
      return FetchResult.of(Credential.builder("1").value(SecretValue.ofString("secret"))
          .issuedAt(Instant.now()).build());
    }
  }

  /**
   * An asynchronous backend: every fetch returns at once and its stage completes {@code latency}
   * later from a timer thread, as a non-blocking HTTP client completes a response.
   */
  static final class AsyncProvider implements AsyncCredentialProvider {
    private final Duration latency;
    private final ScheduledExecutorService timer;
    private final AtomicInteger inFlight;
    private final AtomicInteger maxInFlight;

    AsyncProvider(Duration latency, ScheduledExecutorService timer, AtomicInteger inFlight, AtomicInteger maxInFlight) {
      this.latency = latency;
      this.timer = timer;
      this.inFlight = inFlight;
      this.maxInFlight = maxInFlight;
    }

    @Override
    public String backend() {
      return "async";
    }

    @Override
    public String path() {
      return "secret/app";
    }

    @Override
    public CompletionStage<FetchResult> fetchAsync(FetchContext context) {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      CompletableFuture<FetchResult> answer = new CompletableFuture<>();
      timer.schedule(() -> {
        inFlight.decrementAndGet();
        answer.complete(FetchResult.of(Credential.builder("1").value(SecretValue.ofString("secret"))
            .issuedAt(Instant.now()).build()));
      }, latency.toNanos(), TimeUnit.NANOSECONDS);
      return answer;
    }
  }

  /**
   * Registry start-up with real threads and real time, first against a blocking backend, then
   * against an asynchronous one (completion from one timer thread, created before the baseline: it
   * stands for the HTTP client's own threads and is not counted).
   */
  void startup(int[] counts, Duration latency) {
    out.printf(Locale.ROOT, "%n== registry start-up, blocking provider with %d ms latency (one backend)%n",
        latency.toMillis());
    startup(counts, latency, (inFlight, max) -> new BlockingProvider(latency, inFlight, max));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "async-backend-timer");
      t.setDaemon(true);
      return t;
    });
    try {
      out.printf(Locale.ROOT, "%n== registry start-up, asynchronous provider with %d ms latency (one backend)%n",
          latency.toMillis());
      startup(counts, latency, (inFlight, max) -> new AsyncProvider(latency, timer, inFlight, max));
    } finally {
      timer.shutdownNow();
    }
  }

  private void startup(int[] counts, Duration latency,
      BiFunction<AtomicInteger, AtomicInteger, CredentialProvider> providers) {
    out.printf(Locale.ROOT, "%-12s %10s %12s %14s %14s%n", "credentials", "start ms", "× one fetch",
        "peak threads+", "max in flight");
    for (int count : counts) {
      for (int round = 0; round < 2; round++) { // the first round warms up class loading and the JIT
        int baseline = threads.getThreadCount();
        threads.resetPeakThreadCount();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        CredentialRegistry.Builder b = CredentialRegistry.builder();
        for (int i = 0; i < count; i++) {
          b.register("credential-" + i, providers.apply(inFlight, maxInFlight));
        }
        CredentialRegistry registry = b.build();
        long t0 = System.nanoTime();
        registry.start();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        int peak = threads.getPeakThreadCount() - baseline;
        registry.close();
        if (round == 1) {
          out.printf(Locale.ROOT, "%-12d %10d %12.1f %14d %14d%n", count, millis,
              millis / (double) latency.toMillis(), peak, maxInFlight.get());
        }
        awaitThreadCount(baseline, Duration.ofSeconds(40));
      }
    }
  }

  void threadCounts(int count) {
    out.printf(Locale.ROOT, "%n== threads added by %d credentials (static secret, default threads)%n", count);
    int baseline = threads.getThreadCount();
    threads.resetPeakThreadCount();
    List<RotatingCredential> standalone = new ArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    for (int i = 0; i < count; i++) {
      standalone.add(RotatingCredential.builder("credential-" + i, new BlockingProvider(Duration.ZERO, inFlight, max))
          .build().start());
    }
    int afterStart = threads.getThreadCount() - baseline;
    int peak = threads.getPeakThreadCount() - baseline;
    sleep(Duration.ofSeconds(35)); // idle I/O threads end after 30 s
    int idle = threads.getThreadCount() - baseline;
    standalone.forEach(RotatingCredential::close);
    int closed = awaitThreadCount(baseline, Duration.ofSeconds(40)) - baseline;
    out.printf(Locale.ROOT, "stand-alone: peak +%d, after start +%d, idle 35 s later +%d, after close +%d%n",
        peak, afterStart, idle, closed);

    baseline = threads.getThreadCount();
    threads.resetPeakThreadCount();
    CredentialRegistry.Builder b = CredentialRegistry.builder();
    for (int i = 0; i < count; i++) {
      b.register("credential-" + i, new BlockingProvider(Duration.ZERO, inFlight, max));
    }
    CredentialRegistry registry = b.build().start();
    afterStart = threads.getThreadCount() - baseline;
    peak = threads.getPeakThreadCount() - baseline;
    sleep(Duration.ofSeconds(35));
    idle = threads.getThreadCount() - baseline;
    registry.close();
    closed = awaitThreadCount(baseline, Duration.ofSeconds(40)) - baseline;
    out.printf(Locale.ROOT, "registry:    peak +%d, after start +%d, idle 35 s later +%d, after close +%d%n",
        peak, afterStart, idle, closed);
  }

  private int awaitThreadCount(int target, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (threads.getThreadCount() > target && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(50));
    }
    return threads.getThreadCount();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
