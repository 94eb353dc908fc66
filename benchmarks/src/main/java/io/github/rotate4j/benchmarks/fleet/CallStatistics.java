package io.github.rotate4j.benchmarks.fleet;

import java.util.SplittableRandom;

/** Bucket statistics of call times (milliseconds), and what uniformly random times would give. */
final class CallStatistics {

  private static final int UNIFORM_TRIALS = 20;

  private CallStatistics() {}

  /** Highest bucket count divided by the mean count, for buckets of {@code bucketMillis} over [from, to). */
  static double peakToMean(long[] times, long from, long to, long bucketMillis) {
    int buckets = (int) Math.max(1, (to - from) / bucketMillis);
    int[] counts = new int[buckets];
    int total = 0;
    for (long t : times) {
      if (t >= from && t < from + buckets * bucketMillis) {
        counts[(int) ((t - from) / bucketMillis)]++;
        total++;
      }
    }
    return ratio(counts, total);
  }

  /** The mean over several trials of {@link #peakToMean} for {@code count} uniformly random times. */
  static double uniformPeakToMean(int count, long from, long to, long bucketMillis, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int buckets = (int) Math.max(1, (to - from) / bucketMillis);
    double sum = 0;
    for (int trial = 0; trial < UNIFORM_TRIALS; trial++) {
      int[] counts = new int[buckets];
      for (int i = 0; i < count; i++) {
        counts[random.nextInt(buckets)]++;
      }
      sum += ratio(counts, count);
    }
    return sum / UNIFORM_TRIALS;
  }

  /** Most calls in one millisecond within [from, to). */
  static int maxPerMillisecond(long[] sortedTimes, long from, long to) {
    int best = 0;
    int run = 0;
    long prev = Long.MIN_VALUE;
    for (long t : sortedTimes) {
      if (t < from || t >= to) {
        continue;
      }
      run = t == prev ? run + 1 : 1;
      prev = t;
      best = Math.max(best, run);
    }
    return best;
  }

  static int count(long[] times, long from, long to) {
    int n = 0;
    for (long t : times) {
      if (t >= from && t < to) {
        n++;
      }
    }
    return n;
  }

  private static double ratio(int[] counts, int total) {
    if (total == 0) {
      return 0;
    }
    int peak = 0;
    for (int c : counts) {
      peak = Math.max(peak, c);
    }
    return peak / ((double) total / counts.length);
  }
}
