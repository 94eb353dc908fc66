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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGeneratorFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Heap per credential in a registry (used heap after GC, divided by the count), right after start,
 * after the first simulated hour (every credential has refreshed) and after a simulated day.
 *
 * <p>With {@code -Drotate4j.memory.classes=true} it also prints, per credential, the live objects by
 * class that the registry holds at the end (a class histogram before closing it minus one after it
 * is gone; classes with at least half an instance per credential), to see where the bytes go. The
 * histograms are taken after the heap figures of each run; take the figures from a run without the
 * option all the same (the first histogram changes what the JVM holds for the runs after it).
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
    CredentialRegistry registry = startRegistry(time, providers);
    time.advance(Duration.ofMinutes(1));
    long started = usedHeapAfterGc();
    // the scheduler's queue belongs to the timeline, not the credentials: it is counted in both
    Duration step = Duration.ofHours(1);
    long firstHour = started;
    for (Duration done = Duration.ZERO; done.compareTo(runFor) < 0; done = done.plus(step)) {
      time.advance(step);
      if (done.isZero()) {
        firstHour = usedHeapAfterGc();
      }
    }
    long later = usedHeapAfterGc();
    if (!report) {
      Reference.reachabilityFence(providers);
      registry.close();
      return;
    }
    out.printf(Locale.ROOT, "%n== memory, %s: registry of %d credentials, seed %d%n", kind, count, seed);
    out.printf(Locale.ROOT, "heap per credential after start:        %,d B%n", (started - baseline) / count);
    out.printf(Locale.ROOT, "heap per credential after 1 h:          %,d B (growth %+,d B per credential)%n",
        (firstHour - baseline) / count, (firstHour - started) / count);
    out.printf(Locale.ROOT, "heap per credential after %s:         %,d B (growth %+,d B per credential since 1 h)%n",
        HerdSimulation.human(runFor), (later - baseline) / count, (later - firstHour) / count);
    if (Boolean.getBoolean("rotate4j.memory.classes")) {
      // kept as one string until both are taken, so that it adds two objects, not a map of classes
      String with = classHistogram();
      registry.close();
      registry = null; // gone: the next histogram lacks exactly what the registry held
      Map<String, long[]> without = parse(classHistogram());
      // the first histogram's text was alive during the second one: one (ASCII) String and its byte[]
      uncount(without, "java.lang.String", 24);
      uncount(without, "[B", (16 + with.length() + 7) / 8 * 8);
      out.print(listClasses(without, parse(with), count));
    } else {
      registry.close();
    }
    Reference.reachabilityFence(providers);
  }

  /** Builds and starts the registry; the builder is dropped here, so that it is not counted. */
  private CredentialRegistry startRegistry(ManualTime time, List<CredentialProvider> providers) {
    CredentialRegistry.Builder b = CredentialRegistry.builder()
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor());
    for (int i = 0; i < providers.size(); i++) {
      long instanceSeed = seed * 1_000_003L + i;
      b.register("credential-" + i, providers.get(i),
          c -> c.random(RandomGeneratorFactory.of("L64X128MixRandom").create(instanceSeed)));
    }
    return b.build().start();
  }

  private static String listClasses(Map<String, long[]> before, Map<String, long[]> after, int count) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "live objects per credential at the end, by class:%n"));
    List<Map.Entry<String, long[]>> added = new ArrayList<>();
    after.forEach((name, n) -> {
      long[] b = before.getOrDefault(name, new long[2]);
      long instances = n[0] - b[0];
      if (instances * 2 >= count) {
        added.add(Map.entry(name, new long[] {instances, n[1] - b[1]}));
      }
    });
    added.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1]).reversed());
    long total = 0;
    for (Map.Entry<String, long[]> e : added) {
      total += e.getValue()[1];
      out.append(String.format(Locale.ROOT, "  %6.2f x %7.1f B  %s%n", e.getValue()[0] / (double) count,
          e.getValue()[1] / (double) count, e.getKey()));
    }
    out.append(String.format(Locale.ROOT, "  listed classes together: %,.1f B per credential%n", total / (double) count));
    return out.toString();
  }

  /** The JVM's GC.class_histogram of live objects (it collects first). */
  private static String classHistogram() {
    try {
      return (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
    } catch (JMException e) {
      throw new IllegalStateException("this JVM offers no class histogram: " + e, e);
    }
  }

  private static void uncount(Map<String, long[]> histogram, String className, long bytes) {
    long[] n = histogram.get(className);
    if (n != null) {
      n[0]--;
      n[1] -= bytes;
    }
  }

  /** A class histogram's lines by class name: {instances, bytes}. */
  private static Map<String, long[]> parse(String text) {
    Map<String, long[]> byClass = new HashMap<>();
    for (String line : text.split("\\R")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        // lambda classes carry a per-run suffix: group them by their host class
        String name = f[3].replaceAll("\\$\\$Lambda\\$.*", "\\$\\$Lambda");
        long[] n = byClass.computeIfAbsent(name, k -> new long[2]);
        n[0] += Long.parseLong(f[1]);
        n[1] += Long.parseLong(f[2]);
      }
    }
    return byClass;
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
