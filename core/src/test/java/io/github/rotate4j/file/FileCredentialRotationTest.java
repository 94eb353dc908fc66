package io.github.rotate4j.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import io.github.rotate4j.testing.ManualTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file provider driven by the refresh engine, on a manual timeline. */
class FileCredentialRotationTest {

  private static final Duration POLL = Duration.ofMinutes(1);
  private static final Duration GRACE = Duration.ofMinutes(10);

  @TempDir Path tmp;

  private final ManualTime time = ManualTime.create();
  private final List<CredentialEvent> events = new CopyOnWriteArrayList<>();
  private RotatingCredential credential;

  @AfterEach
  void close() {
    if (credential != null) {
      credential.close();
    }
  }

  private RotatingCredential start(FileCredentialProvider provider) {
    credential = RotatingCredential.builder("api-key", provider)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(POLL).gracePeriod(GRACE).jitter(0).build())
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor())
        .listener(CredentialListener.forEvery(events::add))
        .build();
    return credential.start();
  }

  @Test
  void unchangedFile_publishesNothing_andKeepsTheSameCredential() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), "key-1\n");
    start(FileCredentialProvider.ofFile(file).build());
    Credential first = credential.get();

    Files.writeString(file, "key-1\n"); // rewritten by the agent with the same content
    time.advance(POLL.multipliedBy(3));

    assertThat(credential.get()).isSameAs(first);
    assertThat(events).noneMatch(e -> e instanceof CredentialRotated);
    assertThat(credential.status().state()).isEqualTo(CredentialState.UP);
  }

  @Test
  void changedFile_rotates_andTheOldKeyStaysValidForTheGraceWindow() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), "key-1\n");
    start(FileCredentialProvider.ofFile(file).build());
    String v1 = credential.get().version();

    Files.writeString(file, "key-2\n");
    time.advance(POLL);
    String v2 = credential.get().version();

    assertThat(credential.get().secretString()).isEqualTo("key-2");
    assertThat(events).filteredOn(CredentialRotated.class::isInstance)
        .singleElement()
        .isEqualTo(new CredentialRotated("api-key", time.now(), v1, v2));
    assertThat(credential.verify("key-1")).contains(new KeyMatch(v1, KeySlot.PREVIOUS));
    assertThat(credential.verify("key-2")).contains(new KeyMatch(v2, KeySlot.CURRENT));

    time.advance(GRACE);

    assertThat(credential.verify("key-1")).isEmpty();
    assertThat(credential.verify("key-2")).contains(new KeyMatch(v2, KeySlot.CURRENT));
  }

  @Test
  void vanishedFile_isServedFromCache_untilItComesBack() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), "key-1\n");
    start(FileCredentialProvider.ofFile(file).build());
    Credential first = credential.get();

    Files.delete(file);
    time.advance(POLL);

    assertThat(credential.status().state()).isEqualTo(CredentialState.DEGRADED);
    assertThat(credential.get()).isSameAs(first);
    assertThat(events).filteredOn(RefreshFailed.class::isInstance).first()
        .extracting(e -> ((RefreshFailed) e).kind()).isEqualTo(FailureKind.TRANSIENT);

    Files.writeString(file, "key-1\n");
    time.advance(POLL.multipliedBy(2));

    assertThat(credential.status().state()).isEqualTo(CredentialState.UP);
    assertThat(credential.get()).isSameAs(first);
    assertThat(events).noneMatch(e -> e instanceof CredentialRotated);
  }

  @Test
  void kubernetesVolume_rotatesOnASwap() {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(Map.of("username", "app", "password", "pw-1"));
    start(FileCredentialProvider.ofDirectory(volume.dir()).usernamePassword("username", "password").build());
    String v1 = credential.get().version();

    volume.publish(Map.of("username", "app", "password", "pw-2"));
    time.advance(POLL);

    assertThat(credential.get().usernamePassword().password()).isEqualTo("pw-2");
    assertThat(credential.verify("pw-1")).isEqualTo(Optional.of(new KeyMatch(v1, KeySlot.PREVIOUS)));
  }
}
