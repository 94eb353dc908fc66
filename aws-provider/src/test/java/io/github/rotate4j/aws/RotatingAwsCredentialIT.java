package io.github.rotate4j.aws;

import static io.github.rotate4j.aws.AwsSecretsManagerProviderIT.promote;
import static io.github.rotate4j.aws.AwsSecretsManagerProviderIT.stagePending;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.ManualTime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** The refresh engine on top of the AWS provider, against a real moto server, through whole rotations. */
@ExtendWith(MotoServerExtension.class)
class RotatingAwsCredentialIT {

  private static final String SECRET = "payments/api-key";

  @Test
  void keyRing_followsRotation_andDropsPreviousAfterGrace(MotoServer moto) {
    // the manual timeline starts at wall-clock time, so that moto's CreatedDate values line up with it
    ManualTime time = ManualTime.startingAt(Instant.now());
    List<CredentialEvent> events = new CopyOnWriteArrayList<>();
    RefreshPolicy policy = RefreshPolicy.custom()
        .refreshInterval(Duration.ofMinutes(1))
        .jitter(0)
        .gracePeriod(Duration.ofMinutes(10))
        .build();
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build();
        RotatingCredential credential = RotatingCredential.builder("api-key", provider)
            .refreshPolicy(policy)
            .clock(time.clock())
            .scheduler(time.scheduler())
            .ioExecutor(ManualTime.directExecutor())
            .eventExecutor(ManualTime.directExecutor())
            .listener(CredentialListener.forEvery(events::add))
            .build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      credential.start();
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v1));

      String v2 = stagePending(admin, "key-v2");
      time.advance(Duration.ofMinutes(1));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v1, "PENDING " + v2));
      assertThat(credential.get().secretString()).isEqualTo("key-v1");
      assertThat(credential.keyRing().pending()).map(Credential::secretString).contains("key-v2");
      assertThat(credential.verify("key-v2")).contains(new KeyMatch(v2, KeySlot.PENDING));

      promote(admin, v2, v1);
      time.advance(Duration.ofMinutes(1));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2, "PREVIOUS " + v1));
      assertThat(credential.get().secretString()).isEqualTo("key-v2");
      assertThat(credential.verify("key-v1")).contains(new KeyMatch(v1, KeySlot.PREVIOUS));
      assertThat(events).filteredOn(CredentialRotated.class::isInstance)
          .containsExactly(new CredentialRotated("api-key", events.stream()
              .filter(CredentialRotated.class::isInstance).findFirst().orElseThrow().time(), v1, v2));

      // polls during the grace window keep the previous key; AWSPREVIOUS stays on v1 in AWS throughout
      time.advance(Duration.ofMinutes(9));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2, "PREVIOUS " + v1));

      time.advance(Duration.ofMinutes(2));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2));
      assertThat(credential.verify("key-v1")).isEmpty();
      assertThat(credential.verify("key-v2")).contains(new KeyMatch(v2, KeySlot.CURRENT));
      assertThat(credential.matchCounts()).containsEntry(v1, 1L).containsEntry(v2, 2L);
    }
  }

  /**
   * Once a rotated secret's previous version has left the grace window, AWS still labels it
   * AWSPREVIOUS: polls must not read it again with GetSecretValue only for the engine to drop it.
   */
  @Test
  void afterTheGraceWindow_pollsDoNotReadAwsPreviousAgain(MotoServer moto) {
    ManualTime time = ManualTime.startingAt(Instant.now());
    CountingInterceptor calls = new CountingInterceptor();
    RefreshPolicy policy = RefreshPolicy.custom()
        .refreshInterval(Duration.ofMinutes(5))
        .jitter(0)
        .gracePeriod(Duration.ofMinutes(10))
        .build();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerClient counted = AwsSecretsManagerProviderIT.countingClient(moto, calls);
        AwsSecretsManagerProvider provider = AwsSecretsManagerProvider.builder(SECRET).client(counted)
            .clock(time.clock()).build();
        RotatingCredential credential = RotatingCredential.builder("api-key", provider)
            .refreshPolicy(policy)
            .clock(time.clock())
            .scheduler(time.scheduler())
            .ioExecutor(ManualTime.directExecutor())
            .eventExecutor(ManualTime.directExecutor())
            .build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      credential.start();
      String v2 = stagePending(admin, "key-v2");
      promote(admin, v2, v1);
      time.advance(Duration.ofMinutes(5));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2, "PREVIOUS " + v1));
      time.advance(Duration.ofMinutes(15));
      assertThat(ring(credential)).as("grace over").isEqualTo(List.of("CURRENT " + v2));
      assertThat(admin.describeSecret(r -> r.secretId(SECRET)).versionIdsToStages().get(v1))
          .as("AWS still labels v1").contains(AwsSecretsManagerProvider.AWSPREVIOUS);

      calls.clear();
      time.advance(Duration.ofHours(1));

      assertThat(calls.count("DescribeSecret")).as("polls in an hour").isGreaterThanOrEqualTo(10);
      assertThat(calls.count("GetSecretValue")).as("values read for nothing").isZero();
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2));
      assertThat(credential.status().failedAttempts()).isZero();

      // a new rotation is still read: the new current once; the old current is reused from the ring
      String v3 = stagePending(admin, "key-v3");
      promote(admin, v3, v2);
      calls.clear();
      time.advance(Duration.ofMinutes(5));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v3, "PREVIOUS " + v2));
      assertThat(credential.get().secretString()).isEqualTo("key-v3");
      assertThat(calls.count("GetSecretValue")).as("only v3 is read").isEqualTo(1);
    }
  }

  @Test
  void start_afterAnEarlierRotation_fillsPreviousFromAwsPrevious(MotoServer moto) {
    ManualTime time = ManualTime.startingAt(Instant.now());
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build();
        RotatingCredential credential = RotatingCredential.builder("api-key", provider)
            .refreshPolicy(RefreshPolicy.custom().gracePeriod(Duration.ofMinutes(30)).build())
            .clock(time.clock())
            .scheduler(time.scheduler())
            .ioExecutor(ManualTime.directExecutor())
            .eventExecutor(ManualTime.directExecutor())
            .build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      String v2 = stagePending(admin, "key-v2");
      promote(admin, v2, v1);

      credential.start();

      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2, "PREVIOUS " + v1));
      assertThat(credential.keyRing().previous()).extracting(Credential::secretString).containsExactly("key-v1");
    }
  }

  @Test
  void call_makesNoFailedCallThroughAFullRotation(MotoServer moto) throws Exception {
    Downstream downstream = Downstream.start("key-v1");
    RefreshPolicy policy = RefreshPolicy.custom()
        .refreshInterval(Duration.ofMillis(300))
        .gracePeriod(Duration.ofSeconds(1))
        .build();
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try (downstream;
        SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build();
        RotatingCredential credential = RotatingCredential.builder("api-key", provider).refreshPolicy(policy).build()) {
      String v1 = admin.createSecret(r -> r.name(SECRET).secretString("key-v1")).versionId();
      credential.start();

      AtomicBoolean stop = new AtomicBoolean();
      Map<String, LongAdder> okByKey = new ConcurrentHashMap<>();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        running.add(workers.submit(() -> {
          // bounded: stops on the flag or after 20 s, whichever comes first
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          while (!stop.get() && System.nanoTime() < until) {
            try {
              String usedKey = credential.call(downstream::send);
              okByKey.computeIfAbsent(usedKey, k -> new LongAdder()).increment();
            } catch (Exception e) {
              failures.add(e);
            }
          }
        }));
      }

      Thread.sleep(500);
      // createSecret: the new key is staged; setSecret: the downstream switches to it at once
      String v2 = stagePending(admin, "key-v2");
      downstream.accept("key-v2");
      Thread.sleep(1_000);
      // finishSecret
      promote(admin, v2, v1);
      awaitTrue(() -> credential.get().version().equals(v2), Duration.ofSeconds(5));
      Thread.sleep(500);
      stop.set(true);
      for (Future<?> f : running) {
        f.get(30, TimeUnit.SECONDS);
      }

      assertThat(failures).as("failed calls").isEmpty();
      assertThat(okByKey.get("key-v1")).as("calls with the old key").isNotNull();
      assertThat(okByKey.get("key-v2").sum()).as("calls with the new key").isPositive();
      assertThat(downstream.rejected.get()).as("rejections absorbed by fallback").isPositive();
      awaitTrue(() -> credential.keyRing().previous().isEmpty(), Duration.ofSeconds(5));
      assertThat(ring(credential)).isEqualTo(List.of("CURRENT " + v2));
    } finally {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> ring(RotatingCredential credential) {
    KeyRing ring = credential.keyRing();
    return ring.entries().stream().map(e -> e.slot() + " " + e.credential().version()).toList();
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  /** An HTTP service on 127.0.0.1 that accepts exactly one API key at a time, like a payment API. */
  static final class Downstream implements AutoCloseable {
    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicReference<Set<String>> accepted;
    final AtomicLong rejected = new AtomicLong();

    private Downstream(HttpServer server, AtomicReference<Set<String>> accepted) {
      this.server = server;
      this.accepted = accepted;
    }

    static Downstream start(String key) throws IOException {
      AtomicReference<Set<String>> accepted = new AtomicReference<>(Set.of(key));
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
      Downstream d = new Downstream(server, accepted);
      server.createContext("/charge", exchange -> {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        boolean ok = auth != null && auth.startsWith("Bearer ") && accepted.get().contains(auth.substring(7));
        if (!ok) {
          d.rejected.incrementAndGet();
        }
        // one request per connection: the JDK client must never reuse a connection this server is
        // closing as idle ("header parser received no bytes"), which would be a transport error of
        // the test harness, not a failed call
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(ok ? 200 : 401, -1);
        exchange.close();
      });
      server.setExecutor(Executors.newFixedThreadPool(4));
      server.start();
      return d;
    }

    void accept(String key) {
      accepted.set(Set.of(key));
    }

    /** Calls the service with the credential; returns the key used, throws on a 401. */
    String send(Credential credential) throws IOException, InterruptedException {
      String key = credential.secretString();
      HttpResponse<Void> r = client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/charge"))
              .header("Authorization", "Bearer " + key)
              .timeout(Duration.ofSeconds(5))
              .POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() == 401) {
        throw new CredentialRejectedException("downstream rejected version " + credential.version());
      }
      if (r.statusCode() != 200) {
        throw new IOException("downstream answered " + r.statusCode());
      }
      return key;
    }

    @Override
    public void close() {
      server.stop(0);
      ((ExecutorService) server.getExecutor()).shutdownNow();
    }
  }
}
