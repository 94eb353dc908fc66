package io.github.rotate4j.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.CredentialStartupException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.file.FileCredentialProvider;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's examples, compiled and run, so that the README stays true to the code. */
class ReadmeExamplesTest {

  @Test
  void aRotatingCredential(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("api-key");
    Files.writeString(file, "key-1\n");
    CredentialProvider provider = FileCredentialProvider.ofFile(file).build();

    RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", provider)
        .refreshPolicy(RefreshPolicy.custom()
            .refreshInterval(Duration.ofMinutes(1))
            .gracePeriod(Duration.ofMinutes(30))
            .build())
        .build()
        .start();

    String key = apiKey.get().secretString();
    assertThat(key).isEqualTo("key-1");
    apiKey.close();
  }

  @Test
  void startFailure_namesCredentialBackendAndPath(@TempDir Path dir) {
    Path missing = dir.resolve("api-key");
    ManualTime time = ManualTime.create();
    RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", FileCredentialProvider.ofFile(missing).build())
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .build();
    java.util.concurrent.CompletableFuture<RotatingCredential> started = apiKey.startAsync();
    time.advance(Duration.ofSeconds(30)); // a missing file is transient: retried until the start-up timeout
    assertThat(started).isCompletedExceptionally();
    assertThatThrownBy(started::join).cause().isInstanceOf(CredentialStartupException.class)
        .hasMessage("credential 'payments-api-key' [file " + missing + "]: no credential within the start-up timeout of 30.00 s"
            + " (last failure: " + missing + " does not exist (yet); waiting for its writer)");
  }

  @Test
  void callsThatSurviveARotation_andVerify() throws Exception {
    ManualTime time = ManualTime.create();
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
        .clock(time.clock()).initialValue("key-1").build();
    List<String> rotations = new ArrayList<>();
    try (RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", backend)
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .listener(new CredentialListener() {
          @Override
          public void onRotated(CredentialRotated e) {
            rotations.add(e.previousVersion() + "->" + e.newVersion());
          }
        })
        .build().start()) {
      backend.rotate("key-2");
      String body = apiKey.call(credential -> {
        if (!credential.secretString().equals("key-2")) {
          throw new CredentialRejectedException("payments API answered 401");
        }
        return "paid";
      });
      assertThat(body).isEqualTo("paid");
      assertThat(rotations).containsExactly("1->2");

      Optional<KeyMatch> match = apiKey.verify("key-1");
      assertThat(match).contains(new KeyMatch("1", KeySlot.PREVIOUS));
      Map<String, Long> usage = apiKey.matchCounts();
      assertThat(usage).containsEntry("1", 1L);
    }
  }

  @Test
  void manyCredentials() {
    InMemoryCredentialProvider db = InMemoryCredentialProvider.builder().path("database/creds/orders").initialValue("pw").build();
    InMemoryCredentialProvider api = InMemoryCredentialProvider.builder().path("payments").initialValue("key").build();
    RefreshPolicy policy = RefreshPolicy.custom().refreshInterval(Duration.ofMinutes(1)).build();
    try (CredentialRegistry registry = CredentialRegistry.builder()
        .register("orders-db", db)
        .register("payments-api-key", api, b -> b.refreshPolicy(policy))
        .build()
        .start()) {
      Credential c = registry.get("orders-db").get();
      assertThat(c.secretString()).isEqualTo("pw");
    }
  }

  @Test
  void testingYourCode() {
    ManualTime time = ManualTime.create();
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
        .clock(time.clock()).initialValue("key-1").build();
    RotatingCredential c = RotatingCredential.builder("api", backend)
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .build().start();

    backend.rotate("key-2");
    time.advance(Duration.ofMinutes(6));
    assertThat(c.get().secretString()).isEqualTo("key-2");
    assertThat(c.verify("key-1")).isPresent();

    backend.failAlways(FailureKind.TRANSIENT);
    time.advance(Duration.ofMinutes(6));
    assertThat(c.get().secretString()).isEqualTo("key-2");
    c.close();
  }
}
