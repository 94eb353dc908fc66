package io.github.rotate4j.file;

import static io.github.rotate4j.file.FileCredentialProviderTest.fetch;
import static io.github.rotate4j.file.FileCredentialProviderTest.scheduled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.FetchContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Kubernetes-style {@code ..data} volumes and rename-over writers, with real symlinks and renames. */
class AtomicSwapTest {

  @TempDir Path tmp;

  @Test
  void kubernetesVolume_readsTheCurrentGeneration_andSkipsItsHiddenEntries() throws IOException {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(Map.of("username", "app", "password", "one"));

    Credential c = fetch(FileCredentialProvider.ofDirectory(volume.dir()).build());

    assertThat(c.secretMap()).containsOnlyKeys("password", "username");
    assertThat(c.secretMap()).containsEntry("password", "one");
    assertThat(c.metadata().get("source")).isEqualTo(volume.currentGeneration().toString());
  }

  @Test
  void kubernetesVolume_seesEachSwap_andTheVersionFollowsTheContent() {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(Map.of("username", "app", "password", "one"));
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir()).usernamePassword("username", "password").build();
    Credential first = fetch(provider);

    volume.publish(Map.of("username", "app", "password", "one")); // same content, new generation
    Credential same = provider.fetch(scheduled(KeyRing.of(first))).current();
    volume.publish(Map.of("username", "app", "password", "two"));
    Credential rotated = provider.fetch(scheduled(KeyRing.of(same))).current();

    assertThat(same).isSameAs(first);
    assertThat(rotated.version()).isNotEqualTo(first.version());
    assertThat(rotated.usernamePassword().password()).isEqualTo("two");
  }

  @Test
  void kubernetesVolume_keyAddedAndRemoved() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("a", "1"));
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir()).build();

    volume.publish(Map.of("a", "1", "b", "2"));
    assertThat(fetch(provider).secretMap()).containsOnlyKeys("a", "b");
    volume.publish(Map.of("b", "2"));
    assertThat(fetch(provider).secretMap()).containsOnlyKeys("b");
  }

  @Test
  void singleFileInAKubernetesVolume_followsTheSymlinkChain() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("api-key", "one\n"));
    FileCredentialProvider provider = FileCredentialProvider.ofFile(volume.dir().resolve("api-key")).build();

    assertThat(fetch(provider).secretString()).isEqualTo("one");
    volume.publish(Map.of("api-key", "two\n"));
    Credential c = fetch(provider);

    assertThat(c.secretString()).isEqualTo("two");
    assertThat(c.metadata().get("source")).isEqualTo(volume.currentGeneration().resolve("api-key").toString());
  }

  @Test
  void swapDuringTheRead_deletingTheOldGeneration_isReadAgainFromTheNewOne() {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(Map.of("username", "app1", "password", "one"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapOnFirstRead = (file, max) -> {
      if (reads.getAndIncrement() == 0) {
        volume.publish(Map.of("username", "app2", "password", "two")); // old generation is gone now
      }
      return ContentReader.standard().read(file, max);
    };
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir())
        .usernamePassword("username", "password").contentReader(swapOnFirstRead).build();

    Credential c = fetch(provider);

    assertThat(c.usernamePassword().username()).isEqualTo("app2");
    assertThat(c.usernamePassword().password()).isEqualTo("two");
  }

  @Test
  void swapAfterTheFilesWereRead_isNoticed_andTheNewGenerationIsRead() {
    SecretVolume volume = new SecretVolume(tmp.resolve("db")).publish(Map.of("username", "app1", "password", "one"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapOnSecondRead = (file, max) -> {
      byte[] content = ContentReader.standard().read(file, max);
      if (reads.incrementAndGet() == 2) {
        volume.stage(Map.of("username", "app2", "password", "two")); // old generation stays readable
      }
      return content;
    };
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir())
        .usernamePassword("username", "password").contentReader(swapOnSecondRead).build();

    Credential c = fetch(provider);

    assertThat(c.usernamePassword().username()).isEqualTo("app2");
    assertThat(c.usernamePassword().password()).isEqualTo("two");
    assertThat(reads).hasValue(4);
  }

  @Test
  void swapOfASingleFileDuringTheRead_isReadAgain() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("api-key", "one"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapOnFirstRead = (file, max) -> {
      byte[] content = ContentReader.standard().read(file, max);
      if (reads.getAndIncrement() == 0) {
        volume.stage(Map.of("api-key", "two"));
      }
      return content;
    };
    FileCredentialProvider provider = FileCredentialProvider.ofFile(volume.dir().resolve("api-key"))
        .contentReader(swapOnFirstRead).build();

    assertThat(fetch(provider).secretString()).isEqualTo("two");
  }

  @Test
  void fileReplacedByRenameDuringTheRead_isReadAgain() throws IOException {
    Path file = Files.writeString(tmp.resolve("token"), "one");
    AtomicInteger reads = new AtomicInteger();
    ContentReader renameOverOnFirstRead = (f, max) -> {
      byte[] content = ContentReader.standard().read(f, max);
      if (reads.getAndIncrement() == 0) {
        Path staged = Files.writeString(tmp.resolve(".token.tmp"), "two");
        Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      return content;
    };

    Credential c = fetch(FileCredentialProvider.ofFile(file).contentReader(renameOverOnFirstRead).build());

    assertThat(c.secretString()).isEqualTo("two");
  }

  @Test
  void swapsOnEveryRead_failTransiently_afterTheBoundedRereads_pausingBetweenThem() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("a", "0"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapEveryTime = (file, max) -> {
      volume.publish(Map.of("a", String.valueOf(reads.incrementAndGet())));
      return ContentReader.standard().read(file, max);
    };
    List<Duration> pauses = new ArrayList<>();
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir())
        .contentReader(swapEveryTime).pause(pauses::add).build();

    assertThatThrownBy(() -> fetch(provider))
        .isInstanceOf(TransientBackendException.class)
        .hasMessageContaining(volume.dir().toString())
        .hasMessageContaining("on each of " + VolumeReader.MAX_READS + " reads");
    assertThat(reads).hasValue(VolumeReader.MAX_READS);
    assertThat(pauses).hasSize(VolumeReader.MAX_READS - 1)
        .allSatisfy(d -> assertThat(d).isPositive().isLessThanOrEqualTo(Duration.ofMillis(5)));
  }

  @Test
  void severalSwapsInARow_areRidOutWithinOneFetch() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("a", "0", "b", "0"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapOnFirstReads = (file, max) -> {
      int n = reads.incrementAndGet();
      if (n <= 6) {
        volume.publish(Map.of("a", String.valueOf(n), "b", String.valueOf(n)));
      }
      return ContentReader.standard().read(file, max);
    };
    List<Duration> pauses = new ArrayList<>();
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir())
        .contentReader(swapOnFirstReads).pause(pauses::add).build();

    Map<String, String> m = fetch(provider).secretMap();

    assertThat(m).containsEntry("a", "6").containsEntry("b", "6");
    assertThat(pauses).isNotEmpty();
  }

  @Test
  void singleFileSwappedSeveralTimes_isRidOutWithinOneFetch() {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(Map.of("password", "0"));
    AtomicInteger reads = new AtomicInteger();
    ContentReader swapOnFirstReads = (file, max) -> {
      int n = reads.incrementAndGet();
      if (n <= 4) {
        volume.publish(Map.of("password", String.valueOf(n)));
      }
      return ContentReader.standard().read(file, max);
    };
    FileCredentialProvider provider = FileCredentialProvider.ofFile(volume.dir().resolve("password"))
        .contentReader(swapOnFirstReads).pause(d -> { }).build();

    assertThat(fetch(provider).secretString()).isEqualTo("4");
  }

  @Test
  void aDanglingSymlinkInADirectory_isReportedMissing_afterAFewLooks() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.writeString(dir.resolve("a"), "1");
    Files.createSymbolicLink(dir.resolve("gone"), Path.of("nowhere/gone"));
    List<Duration> pauses = new ArrayList<>();
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(dir).pause(pauses::add).build();

    assertThatThrownBy(() -> fetch(provider)).isInstanceOf(TransientBackendException.class)
        .hasMessageContaining("gone does not exist");
    assertThat(pauses).as("nothing moved: two more looks, no storm of re-reads").hasSize(2);
  }

  @Test
  void aMissingFile_isNotWaitedFor() {
    List<Duration> pauses = new ArrayList<>();
    FileCredentialProvider provider = FileCredentialProvider.ofFile(tmp.resolve("absent")).pause(pauses::add).build();

    assertThatThrownBy(() -> fetch(provider)).isInstanceOf(TransientBackendException.class).hasMessageContaining("does not exist");
    assertThat(pauses).isEmpty();
  }

  /**
   * A writer swaps generations as fast as it can while a reader fetches: every fetch sees the two
   * files of one generation together, or fails transiently, never a mix.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentSwaps_neverMixGenerations() throws Exception {
    SecretVolume volume = new SecretVolume(tmp.resolve("s")).publish(generation(0));
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(volume.dir()).build();
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
      int n = 0;
      while (!stop.get() && n < 2_000) {
        volume.publish(generation(++n));
      }
      return n;
    });
    List<String> inconsistent = new ArrayList<>();
    int consistent = 0;
    int transientFailures = 0;
    try {
      for (int i = 0; i < 500; i++) {
        try {
          Map<String, String> m = provider.fetch(FetchContext.startup("stress")).current().secretMap();
          if (m.get("a").equals(m.get("b")) && m.get("a").equals(m.get("c"))) {
            consistent++;
          } else {
            inconsistent.add(m.toString());
          }
        } catch (TransientBackendException e) {
          transientFailures++;
        }
      }
    } finally {
      stop.set(true);
    }
    int generations = writer.get(30, TimeUnit.SECONDS);
    Map<String, String> last = provider.fetch(FetchContext.startup("stress")).current().secretMap();

    assertThat(inconsistent).isEmpty();
    assertThat(consistent + transientFailures).isEqualTo(500);
    assertThat(generations).isPositive();
    assertThat(last).isEqualTo(generation(generations));
  }

  private static Map<String, String> generation(int n) {
    String v = String.valueOf(n);
    return Map.of("a", v, "b", v, "c", v);
  }
}
