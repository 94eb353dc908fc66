package io.github.rotate4j.samples.rotationjob.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.ManualTime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoKeyServiceTest {

  private final ManualTime time = ManualTime.create();
  private DemoKeyService service;
  private DemoKeyClient client;

  @BeforeEach
  void start() throws IOException {
    service = DemoKeyService.builder().clock(time.clock()).start();
    client = DemoKeyClient.of(service.uri());
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void listensOnLoopbackOnly() {
    assertThat(service.uri().getHost()).isEqualTo("127.0.0.1");
  }

  @Test
  void createdKeyAuthenticatesAndRecordsLastUse() {
    DemoKeyClient.CreatedKey key = client.create("payments");
    assertThat(key.secret()).startsWith("dk." + key.id() + ".").hasSizeGreaterThan(50);
    assertThat(DemoKeyClient.keyIdOf(key.secret())).contains(key.id());
    assertThat(key.createdAt()).isEqualTo(time.now());
    assertThat(client.get(key.id()).orElseThrow().lastUsedAt()).isEmpty();

    time.advance(Duration.ofMinutes(3));
    assertThat(client.ping(key.secret())).contains(key.id());

    DemoKeyService.KeyInfo info = client.get(key.id()).orElseThrow();
    assertThat(info.lastUsedAt()).contains(time.now());
    assertThat(info.live()).isTrue();
    assertThat(service.acceptedPings()).isEqualTo(1);
  }

  @Test
  void unknownMissingAndRevokedKeysAreRejectedWith401() throws Exception {
    DemoKeyClient.CreatedKey key = client.create("payments");
    assertThat(client.ping("dk.key-1-000000.not-the-secret")).isEmpty();

    assertThat(client.revoke(key.id())).isTrue();
    assertThat(client.ping(key.secret())).isEmpty();
    assertThat(client.get(key.id()).orElseThrow().revokedAt()).contains(time.now());

    HttpResponse<String> noHeader = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(service.uri().resolve("/v1/ping")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noHeader.statusCode()).isEqualTo(401);
    assertThat(service.rejectedPings()).isEqualTo(3);
  }

  @Test
  void allowsTwoLiveKeysPerAccountAndRefusesAThird() {
    DemoKeyClient.CreatedKey first = client.create("payments");
    DemoKeyClient.CreatedKey second = client.create("payments");
    client.create("billing"); // other accounts are counted apart

    assertThat(client.ping(first.secret())).contains(first.id());
    assertThat(client.ping(second.secret())).contains(second.id());
    assertThatThrownBy(() -> client.create("payments"))
        .isInstanceOf(DemoKeyServiceException.class)
        .hasMessageContaining("HTTP 409")
        .hasMessageContaining("'payments' already has 2 live keys")
        .satisfies(e -> assertThat(((DemoKeyServiceException) e).isTransient()).isFalse());

    client.revoke(first.id());
    assertThat(client.create("payments").id()).isNotIn(first.id(), second.id());
  }

  @Test
  void listShowsKeysOfOneAccountOldestFirstWithoutSecrets() throws Exception {
    DemoKeyClient.CreatedKey first = client.create("payments");
    time.advance(Duration.ofSeconds(1));
    DemoKeyClient.CreatedKey second = client.create("payments");
    client.create("billing");

    assertThat(client.list("payments")).extracting(DemoKeyService.KeyInfo::id).containsExactly(first.id(), second.id());
    String raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(service.uri().resolve("/v1/keys")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(raw).doesNotContain(first.secret()).doesNotContain(second.secret()).doesNotContain("secret");
  }

  @Test
  void labelsFindTheKeysOfOneRotation() {
    DemoKeyClient.CreatedKey labelled = client.create("payments", Optional.of("rotate4j-r1"));
    client.create("payments");
    client.create("billing", Optional.of("rotate4j-r1"));

    assertThat(client.listLabelled("payments", "rotate4j-r1")).singleElement()
        .satisfies(k -> {
          assertThat(k.id()).isEqualTo(labelled.id());
          assertThat(k.label()).contains("rotate4j-r1");
        });
    assertThat(client.listLabelled("payments", "rotate4j-r2")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "dk", "dk..x", "sk.key-1.x", "dk.key-1", "dk.key-1.x.y"})
  void keyIdOfIgnoresAnythingButADemoSecret(String text) {
    assertThat(DemoKeyClient.keyIdOf(text)).isEmpty();
  }

  @Test
  void revokeIsIdempotentAndUnknownKeyIsReported() {
    DemoKeyClient.CreatedKey key = client.create("payments");
    assertThat(client.revoke(key.id())).isTrue();
    time.advance(Duration.ofMinutes(1));
    assertThat(client.revoke(key.id())).isTrue();
    assertThat(client.get(key.id()).orElseThrow().revokedAt()).contains(time.now().minus(Duration.ofMinutes(1)));
    assertThat(client.revoke("key-404")).isFalse();
    assertThat(client.get("key-404")).isEmpty();
  }

  @Test
  void adminTokenGuardsTheKeyApiButNotPing() throws IOException {
    try (DemoKeyService guarded = DemoKeyService.builder().adminToken("admin-s3cret").start()) {
      DemoKeyClient anonymous = DemoKeyClient.of(guarded.uri());
      DemoKeyClient admin = new DemoKeyClient(guarded.uri(), Optional.of("admin-s3cret"), Duration.ofSeconds(5));

      assertThatThrownBy(() -> anonymous.create("payments"))
          .isInstanceOf(DemoKeyServiceException.class)
          .hasMessageContaining("HTTP 401")
          .hasMessageNotContaining("admin-s3cret");
      DemoKeyClient.CreatedKey key = admin.create("payments");
      assertThat(anonymous.ping(key.secret())).contains(key.id());
      assertThat(key.toString()).doesNotContain(key.secret());
    }
  }

  @Test
  void badRequestsNameTheProblem() {
    assertThatThrownBy(() -> client.create("no spaces allowed"))
        .isInstanceOf(DemoKeyServiceException.class)
        .hasMessageContaining("HTTP 400")
        .hasMessageContaining("'name' is required");
  }

  @Test
  void concurrentPingsAreAllAnsweredAndCounted() {
    DemoKeyClient.CreatedKey a = client.create("payments");
    DemoKeyClient.CreatedKey b = client.create("payments");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Optional<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String secret = i % 2 == 0 ? a.secret() : b.secret();
        calls.add(CompletableFuture.supplyAsync(() -> client.ping(secret), pool));
      }
      calls.forEach(c -> assertThat(c.join()).isPresent());
    } finally {
      pool.shutdownNow();
    }
    assertThat(service.acceptedPings()).isEqualTo(400);
    assertThat(service.rejectedPings()).isZero();
    assertThat(service.keys("payments")).allSatisfy(k -> assertThat(k.lastUsedAt()).contains(time.now()));
  }

  @Test
  void unknownPathIs404() {
    assertThatThrownBy(() -> DemoKeyClient.of(URI.create(service.uri() + "/nothing/")).create("x"))
        .isInstanceOf(DemoKeyServiceException.class)
        .hasMessageContaining("HTTP 404");
  }
}
