package io.github.rotate4j.benchmarks.aws;

import com.amazonaws.secretsmanager.caching.SecretCache;
import com.amazonaws.secretsmanager.caching.SecretCacheConfiguration;
import io.github.rotate4j.Credential;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Backend calls caused by one rotation while many threads use the secret: the secret rotates, the
 * downstream accepts only the new key, and each of 64 threads reads the key, gets rejected, reports
 * the rejection and reads again until it holds the new key. Counts the requests the moto server
 * receives (via an SDK interceptor on the client each contender uses), the rejections seen, the
 * slowest read (does a read wait for the refresh?), the slowest rejection report (how long the
 * thread that saw the rejection waits) and the time until every thread holds the new key.
 *
 * <ul>
 *   <li>Rotate4j: {@code get()}, on rejection {@code reportRejected(credential)} and wait for it (what
 *       {@code call(fn)} does);
 *   <li>SecretCache: {@code getSecretString}, on rejection {@code refreshNow(secretId)}.
 * </ul>
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.rotate4j.benchmarks.aws.RefreshStormMeasurement
 * [threads] [rounds]} (defaults 64 and 3). Each thread's loop is bounded to 30 s.
 */
public final class RefreshStormMeasurement {

  private interface Contender extends AutoCloseable {
    String read();

    void reportRejected() throws Exception;

    @Override
    void close();
  }

  private record Outcome(long describe, long getValue, long rejections, long millis, long slowestReadMillis, long slowestReportMillis, int converged) {}

  private RefreshStormMeasurement() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    try (MotoProcess moto = MotoProcess.start(); SecretsManagerClient admin = moto.client()) {
      System.out.printf("threads=%d, moto at %s%n%n", threads, moto.endpoint());
      System.out.println("| library | round | DescribeSecret | GetSecretValue | backend calls | rejections seen | slowest read (ms) | slowest rejection report (ms) | ms until all threads hold the new key |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      for (int round = 1; round <= rounds; round++) {
        report("Rotate4j", round, run(moto, admin, "storm/rotate4j-" + round, threads, RefreshStormMeasurement::rotate4j));
        report("SecretCache", round, run(moto, admin, "storm/secretcache-" + round, threads, RefreshStormMeasurement::secretCache));
      }
    }
  }

  private interface Factory {
    Contender create(SecretsManagerClient countedClient, String secretId);
  }

  private static Contender rotate4j(SecretsManagerClient client, String secretId) {
    AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(secretId).client(client).build();
    RotatingCredential credential = RotatingCredential.builder("storm", provider)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofHours(1)).build())
        .build()
        .start();
    return new Contender() {
      private final ThreadLocal<Credential> last = new ThreadLocal<>();

      @Override
      public String read() {
        Credential c = credential.get();
        last.set(c);
        return c.secretString();
      }

      @Override
      public void reportRejected() throws Exception {
        credential.reportRejected(last.get()).get(10, TimeUnit.SECONDS);
      }

      @Override
      public void close() {
        credential.close();
      }
    };
  }

  private static Contender secretCache(SecretsManagerClient client, String secretId) {
    SecretCache cache = new SecretCache(new SecretCacheConfiguration().withClient(client));
    return new Contender() {
      @Override
      public String read() {
        return cache.getSecretString(secretId);
      }

      @Override
      public void reportRejected() throws Exception {
        cache.refreshNow(secretId);
      }

      @Override
      public void close() {
        cache.close();
      }
    };
  }

  private static Outcome run(MotoProcess moto, SecretsManagerClient admin, String secretId, int threads, Factory factory)
      throws Exception {
    admin.createSecret(r -> r.name(secretId).secretString("key-v1"));
    RequestCounter counter = new RequestCounter();
    try (SecretsManagerClient counted = moto.client(counter); Contender contender = factory.create(counted, secretId)) {
      if (!contender.read().equals("key-v1")) {
        throw new IllegalStateException("warm-up read the wrong key");
      }
      MotoProcess.rotate(admin, secretId, "key-v2");
      counter.reset();

      LongAdder rejections = new LongAdder();
      AtomicLong slowestRead = new AtomicLong();
      AtomicLong slowestReport = new AtomicLong();
      LongAdder converged = new LongAdder();
      CountDownLatch go = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(threads);
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Thread t = new Thread(() -> {
          try {
            go.await();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until) {
              long before = System.nanoTime();
              String key = contender.read();
              slowestRead.accumulateAndGet(System.nanoTime() - before, Math::max);
              if (key.equals("key-v2")) {
                converged.increment();
                return;
              }
              rejections.increment(); // the downstream accepts only key-v2 now
              long reportStart = System.nanoTime();
              contender.reportRejected();
              slowestReport.accumulateAndGet(System.nanoTime() - reportStart, Math::max);
            }
          } catch (Exception e) {
            System.err.println("worker failed: " + e);
          } finally {
            done.countDown();
          }
        }, "storm-" + i);
        t.setDaemon(true);
        workers.add(t);
        t.start();
      }
      long start = System.nanoTime();
      go.countDown();
      if (!done.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("workers did not finish within 60 s");
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      return new Outcome(counter.count("DescribeSecret"), counter.count("GetSecretValue"), rejections.sum(), millis,
          TimeUnit.NANOSECONDS.toMillis(slowestRead.get()), TimeUnit.NANOSECONDS.toMillis(slowestReport.get()),
          converged.intValue());
    }
  }

  private static void report(String library, int round, Outcome o) {
    System.out.println(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %d | %d%s |", library, round,
        o.describe(), o.getValue(), o.describe() + o.getValue(), o.rejections(), o.slowestReadMillis(),
        o.slowestReportMillis(), o.millis(),
        o.converged() == 0 ? " (no thread got the new key)" : ""));
  }
}
