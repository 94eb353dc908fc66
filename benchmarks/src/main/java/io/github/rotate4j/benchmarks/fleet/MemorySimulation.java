package io.github.rotate4j.benchmarks.fleet;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGeneratorFactory;

/**
 * Heap per credential in a registry (used heap after GC, divided by the count), right after start
 * and after a simulated day of refreshes.
 */
final class MemorySimulation {

  private final SimulatedBackend.Kind kind;
  private final int count;
  private final long seed;
  private final Duration runFor;
  private final PrintStream out;

  MemorySimulation(SimulatedBackend.Kind kind, int count, long seed, Duration runFor, PrintStream out) {
    this.kind = kind;
    this.count = count;
    this.seed = seed;
    this.runFor = runFor;
    this.out = out;
  }

  void run() {
    // a smaller fleet first, so that class initialisation and other one-time allocations are not
    // counted as per-credential memory
    measure(Math.max(1, count / 5), Duration.ofHours(1), false);
    measure(count, runFor, true);
  }

  private void measure(int count, Duration runFor, boolean report) {
    ManualTime time = ManualTime.create();
    SimulatedBackend backend = new SimulatedBackend(kind, time.clock());
    backend.stopRecording();
    List<CredentialProvider> providers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      providers.add(backend.providerFor(i));
    }
    long baseline = usedHeapAfterGc();
    CredentialRegistry.Builder b = CredentialRegistry.builder()
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor());
    for (int i = 0; i < count; i++) {
      long instanceSeed = seed * 1_000_003L + i;
      b.register("credential-" + i, providers.get(i),
          c -> c.random(RandomGeneratorFactory.of("L64X128MixRandom").create(instanceSeed)));
    }
    CredentialRegistry registry = b.build().start();
    time.advance(Duration.ofMinutes(1));
    long started = usedHeapAfterGc();
    // the scheduler's queue belongs to the timeline, not the credentials: it is counted in both
    Duration step = Duration.ofHours(1);
    for (Duration done = Duration.ZERO; done.compareTo(runFor) < 0; done = done.plus(step)) {
      time.advance(step);
    }
    long later = usedHeapAfterGc();
    if (!report) {
      Reference.reachabilityFence(providers);
      registry.close();
      return;
    }
    out.printf(Locale.ROOT, "%n== memory, %s: registry of %d credentials, seed %d%n", kind, count, seed);
    out.printf(Locale.ROOT, "heap per credential after start:        %,d B%n", (started - baseline) / count);
    out.printf(Locale.ROOT, "heap per credential after %s:         %,d B (growth %+,d B per credential)%n",
        HerdSimulation.human(runFor), (later - baseline) / count, (later - started) / count);
    Reference.reachabilityFence(providers);
    registry.close();
  }

  static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100); // lets a concurrent collector finish; this is a benchmark, not a test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
