package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationStatus;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyClient;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyService;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryReader;
import io.github.rotate4j.spi.CredentialProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The end-to-end scenario the integration tests share: a consumer ({@link RotatingCredential} over
 * the store's provider) calls the demo key service from several threads with {@code call(fn)} while
 * the rotation job rotates the key, run after run, in real (short) time until the rotation completes.
 * It records every call and what the consumer's key ring showed at each phase.
 */
final class RotationUnderLoad {

  static final String NAME = "partner-api-key";
  static final Duration GRACE = Duration.ofSeconds(6);
  static final Duration UNUSED_FOR = Duration.ofSeconds(2);
  static final Duration DISTRIBUTION_DELAY = Duration.ofSeconds(2);
  static final Duration CONSUMER_REFRESH = Duration.ofMillis(300);
  static final int THREADS = 4;

  /** What happened. */
  record Outcome(long calls, long failedCalls, long rejectedInsideCalls, long serviceRejections,
      Map<String, Long> callsByKeyId, List<String> failures, boolean pendingSeenByConsumer,
      KeyRingView ringInGrace, String oldKeyId, String newKeyId, String oldVersion, String newVersion,
      Optional<DemoKeyService.KeyInfo> oldKeyAfter, Optional<DemoKeyService.KeyInfo> newKeyAfter,
      List<String> jobOutcomes, Duration elapsed) {}

  /** The consumer's key ring as seen during the grace window. */
  record KeyRingView(String current, List<String> previous) {}

  private final DemoKeyService service;
  private final DemoKeyClient client;
  private final Path dir;
  private final Map<String, String> env;

  RotationUnderLoad(DemoKeyService service, Path dir, Map<String, String> env) {
    this.service = service;
    this.client = DemoKeyClient.of(service.uri());
    this.dir = dir;
    this.env = env;
  }

  DemoKeyClient client() {
    return client;
  }

  /** Writes the inventory with one entry on {@code storeYaml} (a flow mapping) and returns its file. */
  Path inventory(String storeYaml) throws Exception {
    Path file = dir.resolve("inventory.yaml");
    Files.writeString(file, """
        overdueAfter: 1d
        secrets:
          - name: %s
            description: key of the partner API (the demo key service)
            owner: team-integration-tests
            consumers: [load-threads]
            rotationFrequency: 30d
            gracePeriod: %s
            unusedFor: %s
            distributionDelay: %s
            store: %s
            issuer: {type: demo, url: "%s", account: %s}
        """.formatted(NAME, GRACE, UNUSED_FOR, DISTRIBUTION_DELAY, storeYaml, service.uri(), NAME));
    return file;
  }

  /** Runs the job once; returns its exit code and output. */
  JobRun job(Path inventory, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("-i", inventory.toString()));
    all.addAll(List.of(args));
    int code = RotationJob.execute(new RotationJob(Clock.systemUTC(), new LiveBackends(env),
        new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8)),
        all.toArray(String[]::new));
    return new JobRun(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
  }

  record JobRun(int code, String out, String err) {}

  RotationStatus status(Path inventoryFile) {
    Inventory inventory = InventoryReader.read(inventoryFile);
    return new LiveBackends(env).rotator(inventory, inventory.entry(NAME).orElseThrow(), Clock.systemUTC()).status();
  }

  /**
   * Rotates through the job while the consumer calls the service, until the rotation completed and
   * a few hundred calls went out after the old key was revoked.
   *
   * @param keyOf the key a consumer sends, from its credential
   * @param expectPendingVisible whether the store shows staged keys to consumers as pending
   */
  Outcome run(Path inventory, CredentialProvider provider, Function<Credential, String> keyOf,
      boolean expectPendingVisible) throws Exception {
    Instant started = Instant.now();
    RotationStatus before = status(inventory);
    String oldVersion = before.currentVersion();
    LongAdder calls = new LongAdder();
    LongAdder failed = new LongAdder();
    LongAdder rejectedInside = new LongAdder();
    Map<String, LongAdder> byKey = new ConcurrentHashMap<>();
    List<String> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<String> jobOutcomes = new ArrayList<>();
    boolean pendingSeen = false;
    KeyRingView ringInGrace = null;
    String oldKeyId;
    RotationJournal last;

    RefreshPolicy policy = RefreshPolicy.custom().refreshInterval(CONSUMER_REFRESH).gracePeriod(Duration.ofMinutes(1)).build();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (RotatingCredential consumer = RotatingCredential.builder(NAME, provider).refreshPolicy(policy).build().start()) {
      oldKeyId = DemoKeyClient.keyIdOf(keyOf.apply(consumer.get())).orElseThrow();
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(pool.submit(() -> {
          while (!stop.get()) {
            calls.increment();
            try {
              String keyId = consumer.call(c -> client.ping(keyOf.apply(c)).orElseThrow(() -> {
                rejectedInside.increment();
                return new CredentialRejectedException("the demo key service answered 401");
              }));
              byKey.computeIfAbsent(keyId, k -> new LongAdder()).increment();
            } catch (Exception e) {
              failed.increment();
              if (failures.size() < 20) {
                failures.add(e.toString());
              }
            }
          }
        }));
      }
      awaitCondition("the consumer calls with the old key", Duration.ofSeconds(20),
          () -> byKey.getOrDefault(oldKeyId, new LongAdder()).sum() > 20);

      Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
      while (true) {
        JobRun run = job(inventory, "rotate", NAME);
        jobOutcomes.add(run.code() + ": " + run.out().lines().filter(l -> l.startsWith("  ")).findFirst().orElse(run.out()).trim());
        assertThat(run.code()).as("job run failed:\n%s\n%s", run.out(), run.err())
            .isIn(RotationJob.EXIT_OK, RotationJob.EXIT_ATTENTION);
        last = status(inventory).journal().orElseThrow();
        if (last.phase() == RotationPhase.COMPLETED) {
          break;
        }
        assertThat(Instant.now()).as("rotation not completed in time; job runs: %s", jobOutcomes).isBefore(deadline);
        RotationJournal j = last;
        if (j.phase() == RotationPhase.DISTRIBUTE && expectPendingVisible && !pendingSeen) {
          awaitCondition("the consumer's key ring shows the staged key as pending", Duration.ofSeconds(10),
              () -> consumer.keyRing().pending().map(c -> c.version().equals(j.newVersion().orElse("?"))
                  || DemoKeyClient.keyIdOf(keyOf.apply(c)).equals(j.newKeyId())).orElse(false));
          pendingSeen = true;
        }
        if (j.phase() == RotationPhase.GRACE && ringInGrace == null) {
          String newVersion = j.newVersion().orElseThrow();
          awaitCondition("the consumer's key ring shows the new key current and the old one previous",
              Duration.ofSeconds(10), () -> {
                KeyRing ring = consumer.keyRing();
                return ring.current().version().equals(newVersion)
                    && ring.previous().stream().anyMatch(c -> c.version().equals(oldVersion));
              });
          KeyRing ring = consumer.keyRing();
          ringInGrace = new KeyRingView(ring.current().version(), ring.previous().stream().map(Credential::version).toList());
          assertThat(client.get(oldKeyId).orElseThrow().live()).as("old key live during grace").isTrue();
        }
        Instant resumeAt = j.phase() == RotationPhase.GRACE ? j.graceEndsAt().orElse(Instant.now())
            : j.phase() == RotationPhase.DISTRIBUTE ? j.stagedAt().orElse(Instant.now()).plus(DISTRIBUTION_DELAY)
            : Instant.now();
        Instant next = resumeAt.isAfter(Instant.now()) ? resumeAt : Instant.now().plusMillis(250);
        awaitCondition("the next step of the rotation is due", Duration.ofSeconds(30), () -> !Instant.now().isBefore(next));
      }
      String newKeyId = last.newKeyId().orElseThrow();
      long afterRevocation = byKey.getOrDefault(newKeyId, new LongAdder()).sum();
      awaitCondition("the consumer keeps calling after the revocation", Duration.ofSeconds(20),
          () -> byKey.getOrDefault(newKeyId, new LongAdder()).sum() > afterRevocation + 200);
      stop.set(true);
      for (Future<?> w : workers) {
        w.get();
      }
      Map<String, Long> counts = new java.util.TreeMap<>();
      byKey.forEach((k, v) -> counts.put(k, v.sum()));
      return new Outcome(calls.sum(), failed.sum(), rejectedInside.sum(), service.rejectedPings(), counts,
          List.copyOf(failures), pendingSeen, ringInGrace, oldKeyId, newKeyId, oldVersion,
          last.newVersion().orElseThrow(), client.get(oldKeyId), client.get(newKeyId), jobOutcomes,
          Duration.between(started, Instant.now()));
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
  }

  /** Polls {@code condition} every 50 ms until it holds; fails after {@code timeout}. */
  static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  /** Asserts the outcome every store must give, and prints the figures. */
  static void assertZeroRejections(String store, Outcome o) {
    System.out.printf("[%s] calls=%d failed=%d rejectedInside=%d serviceRejections=%d byKey=%s pendingSeen=%s grace ring=%s elapsed=%s jobRuns=%s%n",
        store, o.calls(), o.failedCalls(), o.rejectedInsideCalls(), o.serviceRejections(), o.callsByKeyId(),
        o.pendingSeenByConsumer(), o.ringInGrace(), o.elapsed(), o.jobOutcomes());
    assertThat(o.failures()).as("failed calls").isEmpty();
    assertThat(o.failedCalls()).isZero();
    assertThat(o.rejectedInsideCalls()).as("401 answers seen by the consumer").isZero();
    assertThat(o.serviceRejections()).as("401 answers given by the service").isZero();
    assertThat(o.callsByKeyId().get(o.oldKeyId())).as("calls with the old key").isPositive();
    assertThat(o.callsByKeyId().get(o.newKeyId())).as("calls with the new key").isGreaterThan(200);
    assertThat(o.ringInGrace()).as("key ring during grace")
        .isEqualTo(new KeyRingView(o.newVersion(), o.ringInGrace().previous()));
    assertThat(o.ringInGrace().previous()).contains(o.oldVersion());
    assertThat(o.oldKeyAfter()).as("old key at the service after the rotation")
        .hasValueSatisfying(k -> assertThat(k.revokedAt()).isPresent());
    assertThat(o.newKeyAfter()).hasValueSatisfying(k -> assertThat(k.live()).isTrue());
  }
}
