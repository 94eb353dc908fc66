package io.github.rotate4j.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.CredentialStatus;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.RefreshFailed;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kubernetes-style writer swaps {@code ..data} back to back for seconds while a credential polls
 * the volume every few milliseconds, on a real file system: a healthy writer must never make a
 * fetch fail, the credential never DEGRADED, and a username is never served with another
 * generation's password.
 */
class FileSwapStormIT {

  private static final Duration STORM = Duration.ofSeconds(4);

  @TempDir Path tmp;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void swapStorm_noFailedAttempt_neverDegraded_neverAMixedPair() throws Exception {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(generation(0));
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir())
        .usernamePassword("username", "password").build();
    List<RefreshFailed> failures = new CopyOnWriteArrayList<>();
    RotatingCredential credential = RotatingCredential.builder("storm", provider)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofMillis(3)).jitter(0.1).build())
        .listener(new CredentialListener() {
          @Override
          public void onRefreshFailed(RefreshFailed e) {
            failures.add(e);
          }
        })
        .build()
        .start();
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
      int n = 0;
      while (!stop.get()) {
        volume.publish(generation(++n));
      }
      return n;
    });
    long samples = 0;
    long degradedSamples = 0;
    long mixedPairs = 0;
    try {
      long end = System.nanoTime() + STORM.toNanos();
      while (System.nanoTime() < end) {
        Credential c = credential.get();
        String user = c.usernamePassword().username();
        String password = c.usernamePassword().password();
        if (!user.substring("user-".length()).equals(password.substring("pass-".length()))) {
          mixedPairs++;
        }
        if (credential.status().state() != CredentialState.UP) {
          degradedSamples++;
        }
        samples++;
      }
    } finally {
      stop.set(true);
    }
    int generations = writer.get(30, TimeUnit.SECONDS);
    CredentialStatus status = credential.status();
    credential.close();

    assertThat(generations).as("generations written").isGreaterThan(100);
    assertThat(samples).isPositive();
    assertThat(status.successfulRefreshes()).as("refreshes during the storm").isGreaterThan(50);
    assertThat(status.rotations()).as("rotations seen").isGreaterThan(10);
    assertThat(mixedPairs).as("username of one generation with the password of another").isZero();
    assertThat(status.failedAttempts()).as("failed attempts").isZero();
    assertThat(failures).as("RefreshFailed events").isEmpty();
    assertThat(degradedSamples).as("samples not UP").isZero();
  }

  private static Map<String, String> generation(int n) {
    return Map.of("username", "user-" + n, "password", "pass-" + n);
  }
}
