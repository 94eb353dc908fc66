package io.github.rotate4j.benchmarks.fleet;

import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.testing.ManualTime;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGeneratorFactory;

/**
 * A fleet of stand-alone credentials (one per simulated service instance) started in the same
 * millisecond on one manual timeline against one {@link SimulatedBackend}, with one shared outage.
 * Prints how the backend calls spread over time, compared with uniformly random call times.
 */
final class HerdSimulation {

  private final SimulatedBackend.Kind kind;
  private final int instances;
  private final long seed;
  private final Duration runFor;
  private final Duration outageAt;
  private final Duration outageLength;
  private final boolean announcesMaxTtl;
  private final PrintStream out;

  HerdSimulation(SimulatedBackend.Kind kind, int instances, long seed, Duration runFor, Duration outageAt,
      Duration outageLength, boolean announcesMaxTtl, PrintStream out) {
    this.kind = kind;
    this.instances = instances;
    this.seed = seed;
    this.runFor = runFor;
    this.outageAt = outageAt;
    this.outageLength = outageLength;
    this.announcesMaxTtl = announcesMaxTtl;
    this.out = out;
  }

  /** How long one refresh cycle of this kind takes: the window the fleet should spread over. */
  Duration cycle() {
    return kind == SimulatedBackend.Kind.STATIC ? Duration.ofMinutes(5) : SimulatedBackend.LEASE_MAX_TTL;
  }

  void run() {
    ManualTime time = ManualTime.create();
    SimulatedBackend backend = new SimulatedBackend(kind, time.clock());
    backend.announcesMaxTtl(announcesMaxTtl);
    Instant origin = time.now();
    if (!outageLength.isZero()) {
      backend.outage(origin.plus(outageAt), outageLength);
    }
    List<RotatingCredential> fleet = new ArrayList<>(instances);
    for (int i = 0; i < instances; i++) {
      fleet.add(RotatingCredential.builder("instance-" + i, backend.providerFor(i))
          .clock(time.clock())
          .scheduler(time.scheduler())
          .ioExecutor(ManualTime.directExecutor())
          .eventExecutor(ManualTime.directExecutor())
          .random(RandomGeneratorFactory.of("L64X128MixRandom").create(seed * 1_000_003L + i))
          .build());
    }
    fleet.forEach(RotatingCredential::start);
    long wallStart = System.nanoTime();
    time.advance(runFor);
    long wallMillis = (System.nanoTime() - wallStart) / 1_000_000;
    report(backend, wallMillis);
    fleet.forEach(RotatingCredential::close);
  }

  private void report(SimulatedBackend backend, long wallMillis) {
    int n = backend.calls();
    long[] all = new long[n];
    for (int i = 0; i < n; i++) {
      all[i] = backend.timeMillis(i);
    }
    long[] sorted = all.clone();
    Arrays.sort(sorted);
    long cycle = cycle().toMillis();
    long end = runFor.toMillis();
    long down = outageLength.isZero() ? end : outageAt.toMillis();
    long up = outageLength.isZero() ? end : down + outageLength.toMillis();

    out.printf(Locale.ROOT, "%n== %s%s: %d instances, seed %d, %s simulated (%d calls, %.1f s wall)%n",
        kind, kind == SimulatedBackend.Kind.RENEWABLE_LEASE && !announcesMaxTtl ? " (max TTL not announced)" : "",
        instances, seed, human(runFor), n, wallMillis / 1000.0);
    out.printf(Locale.ROOT, "%-34s %7s %9s %9s %9s %9s %7s%n",
        "window", "calls", "1s p/m", "uniform", "5s p/m", "uniform", "max/ms");
    // the start-up fetches are all at 0 ms by construction; every window starts after them
    window(sorted, "cycle 1 (after start-up)", 1, cycle);
    window(sorted, "cycle 2", cycle, 2 * cycle);
    window(sorted, "cycle 3", 2 * cycle, 3 * cycle);
    if (down - 30 * 60_000L >= 3 * cycle) {
      window(sorted, "30 min before the outage", down - 30 * 60_000L, down);
    }
    if (up < end) {
      window(sorted, "cycle right after recovery", up, Math.min(end, up + cycle));
      window(sorted, "next cycle", up + cycle, Math.min(end, up + 2 * cycle));
    }
    window(sorted, "last hour", Math.max(1, end - 3_600_000L), end);
    window(sorted, "whole run (after start-up)", 1, end);

    long steadyFrom = cycle;
    long steadyTo = down;
    double hours = (steadyTo - steadyFrom) / 3_600_000.0;
    out.printf(Locale.ROOT, "calls per credential-hour (steady, %s to %s): %.2f%n",
        human(Duration.ofMillis(steadyFrom)), human(Duration.ofMillis(steadyTo)),
        CallStatistics.count(sorted, steadyFrom, steadyTo) / (instances * hours));
    out.printf(Locale.ROOT, "max calls in one millisecond after start-up: %d%n",
        CallStatistics.maxPerMillisecond(sorted, 1, end));
    if (up < end) {
      outage(backend, sorted, down, up, end);
    }
  }

  private void outage(SimulatedBackend backend, long[] sorted, long down, long up, long end) {
    long before = Math.max(cycle().toMillis(), down - 30 * 60_000L);
    double normalPerSecond = CallStatistics.count(sorted, before, down) / ((down - before) / 1000.0);
    double duringPerSecond = CallStatistics.count(sorted, down, up) / ((up - down) / 1000.0);
    out.printf(Locale.ROOT, "outage %s at %s: normal rate %.2f calls/s; during the outage %.2f× normal%n",
        human(outageLength), human(outageAt), normalPerSecond, duringPerSecond / normalPerSecond);
    // instances that failed during the outage, and when each got its first success after it
    boolean[] failed = new boolean[instances];
    long[] back = new long[instances];
    Arrays.fill(back, -1);
    for (int i = 0; i < backend.calls(); i++) {
      long t = backend.timeMillis(i);
      int who = backend.caller(i);
      if (t >= down && t < up && !backend.succeeded(i)) {
        failed[who] = true;
      } else if (t >= up && backend.succeeded(i) && back[who] < 0) {
        back[who] = t - up;
      }
    }
    for (long seconds : new long[] {5, 30, 60}) {
      int calls = 0;
      int fromFailed = 0;
      for (int i = 0; i < backend.calls(); i++) {
        long t = backend.timeMillis(i);
        if (t >= up && t < up + seconds * 1000) {
          calls++;
          fromFailed += failed[backend.caller(i)] ? 1 : 0;
        }
      }
      out.printf(Locale.ROOT, "  first %2d s after recovery: %.2f× normal (%d calls, %d of them from instances that "
          + "failed during the outage)%n", seconds, calls / (double) seconds / normalPerSecond, calls, fromFailed);
    }
    List<Long> delays = new ArrayList<>();
    int neverBack = 0;
    for (int i = 0; i < instances; i++) {
      if (failed[i]) {
        if (back[i] < 0) {
          neverBack++;
        } else {
          delays.add(back[i]);
        }
      }
    }
    delays.sort(null);
    if (delays.isEmpty()) {
      out.printf(Locale.ROOT, "  no instance failed during the outage%n");
      return;
    }
    out.printf(Locale.ROOT, "  %d instances failed during the outage; back after recovery: median %.1f s, "
            + "p99 %.1f s, last %.1f s%s%n",
        delays.size() + neverBack, delays.get(delays.size() / 2) / 1000.0,
        delays.get((int) Math.min(delays.size() - 1, Math.ceil(delays.size() * 0.99) - 1)) / 1000.0,
        delays.get(delays.size() - 1) / 1000.0,
        neverBack == 0 ? "" : "; " + neverBack + " never back before the end of the run");
  }

  private void window(long[] sorted, String label, long from, long to) {
    if (to <= from) {
      return;
    }
    int count = CallStatistics.count(sorted, from, to);
    long uniformSeed = seed ^ from;
    out.printf(Locale.ROOT, "%-34s %7d %9.2f %9.2f %9.2f %9.2f %7d%n", label, count,
        CallStatistics.peakToMean(sorted, from, to, 1000),
        CallStatistics.uniformPeakToMean(count, from, to, 1000, uniformSeed),
        CallStatistics.peakToMean(sorted, from, to, 5000),
        CallStatistics.uniformPeakToMean(count, from, to, 5000, uniformSeed + 1),
        CallStatistics.maxPerMillisecond(sorted, from, to));
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0 && s > 0) {
      return s / 3600 + " h";
    }
    if (s % 60 == 0 && s > 0) {
      return s / 60 + " min";
    }
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
