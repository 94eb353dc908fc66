package io.github.rotate4j.samples.quickstart;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialExpiredException;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialExpired;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.file.FileCredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Rotate4j in a quarter of a minute, with no server: a rotating API key read from a file (as Vault
 * Agent or a Kubernetes Secret volume would write it), then a leased database credential that
 * expires while its backend is down. Prints a timeline of what happens:
 *
 * <ol>
 *   <li>start-up fetch, then polls of the unchanged file that publish nothing;
 *   <li>a rotation: the file changes, the new key is current and the old one is still accepted
 *       during the grace window;
 *   <li>an outage: the file disappears, the credential turns DEGRADED and keeps serving the last
 *       good key from its cache, the circuit breaker opens;
 *   <li>recovery: the file is back, the credential is UP again;
 *   <li>the grace window ends and the old key is rejected;
 *   <li>a lease reaches its hard expiry while the backend is down: {@code get()} throws
 *       {@link CredentialExpiredException} and the credential is DOWN until the backend is back.
 * </ol>
 *
 * <p>Run it with {@code mvn -q -pl samples -am process-classes -Pquickstart}. Every interval is
 * shortened to keep it quick; real services poll every few minutes and keep old keys for an hour.
 */
public final class Quickstart {

  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration GRACE = Duration.ofSeconds(4);
  private static final Duration LEASE_TTL = Duration.ofSeconds(3);
  private static final Duration WAIT_LIMIT = Duration.ofSeconds(20);

  /** Two attempts per refresh, 200 ms apart; only transient failures are retried. */
  private static final RetryConfig RETRY = RetryConfig.custom()
      .maxAttempts(2)
      .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(200), 2.0))
      .retryOnException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
      .build();

  /** Opens after 4 failed calls out of 4, probes the backend again after 1 s. */
  private static final CircuitBreakerConfig BREAKER = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
      .slidingWindowSize(4)
      .minimumNumberOfCalls(4)
      .failureRateThreshold(50)
      .waitDurationInOpenState(Duration.ofSeconds(1))
      .permittedNumberOfCallsInHalfOpenState(1)
      .recordException(t -> BackendException.classify(t) == FailureKind.TRANSIENT)
      .build();

  private final Timeline timeline;

  private Quickstart(Timeline timeline) {
    this.timeline = timeline;
  }

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /** Runs the whole timeline, printing to {@code out}; returns when everything is closed. */
  public static void run(PrintStream out) throws Exception {
    new Quickstart(new Timeline(out)).run();
  }

  private void run() throws Exception {
    Path dir = Files.createTempDirectory("rotate4j-quickstart-");
    try {
      apiKeyFromAFile(dir);
      leaseThatExpiresWhileTheBackendIsDown();
    } finally {
      deleteTree(dir);
    }
    timeline.header("Done");
    awaitNoThreadsLeft();
    timeline.say("DONE", "all credentials closed; no rotate4j-* thread left behind");
  }

  private static RefreshPolicy policy(Duration grace) {
    return RefreshPolicy.custom()
        .refreshInterval(POLL)
        .recoveryInterval(POLL)
        .gracePeriod(grace)
        .attemptTimeout(Duration.ofSeconds(1))
        .startupTimeout(Duration.ofSeconds(5))
        .build();
  }

  // ---- 1. a static secret in a file ------------------------------------------------------------

  private void apiKeyFromAFile(Path dir) throws Exception {
    Path keyFile = dir.resolve("api-key");
    String key1 = "demo-" + UUID.randomUUID();
    String key2 = "demo-" + UUID.randomUUID();
    writeLikeAnAgent(keyFile, key1 + "\n");

    timeline.header("1. An API key in a file, polled every " + POLL.toMillis() + " ms, old key accepted for "
        + GRACE.toSeconds() + " s after a rotation");
    timeline.say("", "secret file %s (keys are never printed: #1, #2 below)", keyFile);
    FileCredentialProvider provider = FileCredentialProvider.ofFile(keyFile).build();
    try (RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", provider)
        .refreshPolicy(policy(GRACE))
        .retryConfig(RETRY)
        .circuitBreakerConfig(BREAKER)
        .listener(timeline.printer())
        .build()) {

      apiKey.start();
      String v1 = apiKey.get().version();
      await("the created event", () -> timeline.printed("payments-api-key", CredentialCreated.class) == 1);
      timeline.say("STARTUP", "fetched version %s (a keyed hash of the content, never the content), status %s", v1, apiKey.status().state());
      timeline.say("", "client presents key #1 -> %s", describe(apiKey.verify(key1)));

      Instant firstSuccess = apiKey.status().lastSuccess().orElseThrow();
      await("two more polls", () -> apiKey.status().lastSuccess().orElseThrow()
          .isAfter(firstSuccess.plus(POLL.multipliedBy(2)).minusMillis(100)));
      timeline.say("POLLING", "the unchanged file was read again: still version %s, no event published",
          apiKey.get().version());

      timeline.say("ROTATION", "the agent writes key #2 into the file");
      writeLikeAnAgent(keyFile, key2 + "\n");
      await("the rotated event", () -> timeline.printed("payments-api-key", CredentialRotated.class) == 1);
      String v2 = apiKey.get().version();
      Instant graceEnd = previousValidUntil(apiKey.keyRing(), v1);
      timeline.say("", "now serving version %s", v2);
      timeline.say("", "client presents key #2 -> %s", describe(apiKey.verify(key2)));
      timeline.say("", "client presents key #1 -> %s, accepted until %s", describe(apiKey.verify(key1)),
          timeline.at(graceEnd));

      timeline.say("OUTAGE", "the file disappears (say, the agent lost its Vault token)");
      Files.delete(keyFile);
      await("status DEGRADED", () -> apiKey.status().state() == CredentialState.DEGRADED);
      await("the refresh-failed event", () -> timeline.printed("payments-api-key", RefreshFailed.class) > 0);
      timeline.say("", "status %s; get() still serves version %s from the cache",
          apiKey.status().state(), apiKey.get().version());
      await("the circuit breaker to open", () -> apiKey.status().circuitState() == CircuitBreaker.State.OPEN);
      timeline.say("", "circuit breaker OPEN: the file is left alone for 1 s; get() still serves %s, status %s",
          apiKey.get().version(), apiKey.status().state());

      timeline.say("RECOVERY", "the agent writes the file again (same key #2)");
      writeLikeAnAgent(keyFile, key2 + "\n");
      await("status UP", () -> apiKey.status().state() == CredentialState.UP);
      await("the circuit to close", () -> apiKey.status().circuitState() == CircuitBreaker.State.CLOSED);
      timeline.say("", "status %s, version %s: same content, same version, so no rotation event",
          apiKey.status().state(), apiKey.get().version());

      await("the grace window to end", () -> apiKey.keyRing().previous().isEmpty());
      timeline.say("GRACE OVER", "client presents key #1 -> %s", describe(apiKey.verify(key1)));
      timeline.say("", "client presents key #2 -> %s", describe(apiKey.verify(key2)));
      timeline.say("", "keys verified by version: %s", apiKey.matchCounts());
    }
    timeline.say("CLOSED", "'payments-api-key' closed");
  }

  // ---- 2. a lease with a hard expiry -------------------------------------------------------------

  private void leaseThatExpiresWhileTheBackendIsDown() throws Exception {
    timeline.header("2. A database lease of " + LEASE_TTL.toSeconds() + " s that expires while the backend is down");
    InMemoryCredentialProvider database = InMemoryCredentialProvider.builder()
        .path("database/creds/orders")
        .initialValue(SecretValue.ofUsernamePassword("v-orders", UUID.randomUUID().toString()))
        .leases(LEASE_TTL, LEASE_TTL, false)
        .build();
    try (RotatingCredential db = RotatingCredential.builder("orders-db", database)
        // one instance and no fleet to spread: without jitter the replacement comes at the latest
        // instant (1.5 s into the lease), inside the outage, so every run tells the same story
        .refreshPolicy(RefreshPolicy.from(policy(Duration.ofSeconds(1))).jitter(0).build())
        .retryConfig(RETRY)
        .circuitBreakerConfig(BREAKER)
        .listener(timeline.printer())
        .build()) {

      db.start();
      Credential lease = db.get();
      await("the created event", () -> timeline.printed("orders-db", CredentialCreated.class) == 1);
      timeline.say("STARTUP", "lease %s, hard expiry at %s", lease.version(),
          timeline.at(lease.expiresAt().orElseThrow()));

      timeline.say("OUTAGE", "the database secrets engine goes down");
      database.failAlways(FailureKind.TRANSIENT);
      await("status DEGRADED", () -> db.status().state() == CredentialState.DEGRADED);
      await("the refresh-failed event", () -> timeline.printed("orders-db", RefreshFailed.class) > 0);
      timeline.say("", "status %s; get() still serves lease %s until its expiry",
          db.status().state(), db.get().version());

      await("status DOWN", () -> db.status().state() == CredentialState.DOWN);
      await("the expired event", () -> timeline.printed("orders-db", CredentialExpired.class) == 1);
      try {
        Credential expired = db.get();
        throw new IllegalStateException("get() returned " + expired + " after its hard expiry");
      } catch (CredentialExpiredException e) {
        timeline.say("EXPIRED", "get() throws %s: %s", e.getClass().getSimpleName(), e.getMessage());
      }
      timeline.say("", "status %s; an expired credential is never returned", db.status().state());

      timeline.say("RECOVERY", "the secrets engine is back");
      long rotatedBefore = timeline.printed("orders-db", CredentialRotated.class);
      database.recover();
      await("status UP", () -> db.status().state() == CredentialState.UP);
      await("the rotated event", () -> timeline.printed("orders-db", CredentialRotated.class) > rotatedBefore);
      timeline.say("", "status %s; get() returns the new lease %s, valid until %s", db.status().state(),
          db.get().version(), timeline.at(db.get().expiresAt().orElseThrow()));
    }
    timeline.say("CLOSED", "'orders-db' closed; leases revoked on close: %s", database.revokedLeases());
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static String describe(Optional<KeyMatch> match) {
    return match.map(m -> m.slot() + " (version " + m.version() + ")").orElse("REJECTED (not a valid key)");
  }

  private static Instant previousValidUntil(KeyRing ring, String version) {
    return ring.entries().stream()
        .filter(e -> e.slot() == KeySlot.PREVIOUS && e.credential().version().equals(version))
        .findFirst()
        .flatMap(KeyRing.Entry::validUntilTime)
        .orElseThrow(() -> new IllegalStateException("version " + version + " is not in the grace window: " + ring));
  }

  /** Writes like Vault Agent does: a temporary file renamed over the old one, so readers never see half a file. */
  private static void writeLikeAnAgent(Path file, String content) throws IOException {
    Path tmp = Files.writeString(file.resolveSibling("." + file.getFileName() + ".tmp"), content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("gave up after " + WAIT_LIMIT.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static void awaitNoThreadsLeft() throws InterruptedException {
    await("the rotate4j threads to end", () -> rotate4jThreads().isEmpty());
  }

  static List<String> rotate4jThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("rotate4j-"))
        .sorted()
        .toList();
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
