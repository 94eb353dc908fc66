package io.github.rotate4j.samples.rotationjob.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.KeyRing;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationConflictException;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.ManualTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSecretStoreTest {

  private static final SecretValue FIRST = SecretValue.ofString("first-key");

  private final ManualTime time = ManualTime.create();
  private final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  private FileSecretStore store;
  private String firstKeyId;

  @TempDir
  Path dir;

  @BeforeEach
  void firstKey() {
    store = new FileSecretStore(dir.resolve("state/key.json"));
    firstKeyId = issuer.register(FIRST);
    assertThat(store.initialize(() -> FIRST, time.now())).isTrue();
  }

  private Rotator rotator() {
    return Rotator.builder(store, issuer).verifier(KeyVerifier.of(issuer::accepts))
        .gracePeriod(Duration.ofMinutes(10)).clock(time.clock()).build();
  }

  @Test
  void initializeWritesVersionOneOnceAndOnlyAsksForAKeyWhenEmpty() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    assertThat(store.initialize(() -> {
      asked.incrementAndGet();
      return SecretValue.ofString("other");
    }, time.now())).isFalse();
    assertThat(asked).hasValue(0);

    RotationState s = store.read();
    assertThat(s.current().version()).isEqualTo("1");
    assertThat(s.current().value()).isEqualTo(FIRST);
    assertThat(s.rotatedAt()).contains(time.now());
    assertThat(s.journal()).isEmpty();
    assertThat(Files.getPosixFilePermissions(store.file())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void missingFileIsReportedWithItsPath() {
    FileSecretStore none = new FileSecretStore(dir.resolve("nothing.json"));
    assertThatThrownBy(none::read).isInstanceOf(RotationException.class)
        .hasMessageContaining(dir.resolve("nothing.json").toString()).hasMessageContaining("does not exist");
  }

  @Test
  void fullRotationThroughTheWorkflow_thenTheOldKeyIsRevokedAndRetired() {
    RotationResult started = rotator().rotate();
    assertThat(started.outcome()).isEqualTo(RotationResult.Outcome.IN_GRACE);
    RotationState inGrace = store.read();
    assertThat(inGrace.current().version()).isEqualTo("2");
    assertThat(inGrace.previous().orElseThrow().value()).isEqualTo(FIRST);
    assertThat(inGrace.rotatedAt()).contains(time.now());

    time.advance(Duration.ofMinutes(11));
    assertThat(rotator().resume().outcome()).isEqualTo(RotationResult.Outcome.COMPLETED);

    RotationState done = store.read();
    assertThat(done.previous()).isEmpty();
    assertThat(done.journal().orElseThrow().phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(issuer.isLive(firstKeyId)).isFalse();
    assertThat(issuer.accepts(done.current().value())).isTrue();
  }

  @Test
  void rollbackAfterPromotionRestoresTheOldKeyAndItsRotationTime() {
    assertThat(rotator().rotate().outcome()).isEqualTo(RotationResult.Outcome.IN_GRACE);
    time.advance(Duration.ofMinutes(1));

    assertThat(rotator().rollback().outcome()).isEqualTo(RotationResult.Outcome.ROLLED_BACK);

    RotationState s = store.read();
    assertThat(s.current().value()).isEqualTo(FIRST);
    assertThat(s.rotatedAt()).contains(ManualTime.DEFAULT_START);
    assertThat(issuer.liveKeyIds()).containsExactly(firstKeyId);
  }

  @Test
  void journalWritesAreFencedBySequenceAndRotation() {
    RotationJournal first = RotationJournal.start("r1", 1, "1", time.now()).build();
    store.writeJournal(first);

    assertThatThrownBy(() -> store.writeJournal(RotationJournal.start("r2", 2, "1", time.now()).build()))
        .as("another rotation while r1 is under way").isInstanceOf(RotationConflictException.class)
        .hasMessageContaining("expected the successor of journal r1 #1 (GENERATE), got #2");
    assertThatThrownBy(() -> store.writeJournal(first))
        .as("the same entry twice").isInstanceOf(RotationConflictException.class);

    RotationJournal next = first.next(RotationPhase.STAGE, time.now()).build();
    store.writeJournal(next);
    assertThatThrownBy(() -> store.stage(first, SecretValue.ofString("k")))
        .as("a key write with a stale journal").isInstanceOf(RotationConflictException.class)
        .hasMessageContaining("the store holds journal r1 #2 (STAGE), not #1 (GENERATE)");
    store.stage(next, SecretValue.ofString("k"));
    store.stage(next, SecretValue.ofString("k"));
    assertThat(store.read().pending().orElseThrow().version()).as("staging twice writes once").isEqualTo("2");
  }

  @Test
  void twoRotatorsAtOnce_oneWinsTheOtherStopsWithAConflict() {
    Rotator b = rotator();
    RotationResult[] bResult = new RotationResult[1];
    // a is interrupted during its VERIFY step by b, which goes on with the same rotation from the file
    Rotator a = Rotator.builder(store, issuer).verifier(key -> {
      if (bResult[0] == null) {
        bResult[0] = b.rotate();
      }
    }).gracePeriod(Duration.ofMinutes(10)).clock(time.clock()).build();

    RotationResult aResult = a.rotate();

    assertThat(bResult[0].outcome()).isEqualTo(RotationResult.Outcome.IN_GRACE);
    assertThat(aResult.outcome()).isEqualTo(RotationResult.Outcome.CONFLICT);
    RotationState s = store.read();
    assertThat(s.current().version()).isEqualTo("2");
    assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.GRACE);
    assertThat(issuer.liveKeyIds()).as("the first key and exactly one new key").hasSize(2).contains(firstKeyId);
  }

  @Test
  void providerGivesConsumersCurrentPreviousAndPending() throws Exception {
    try (RotatingCredential consumer = RotatingCredential.builder("key", store.provider()).clock(time.clock())
        .scheduler(time.scheduler()).ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .build().start()) {
      assertThat(consumer.get().value()).isEqualTo(FIRST);

      assertThat(rotator().rotate().outcome()).isEqualTo(RotationResult.Outcome.IN_GRACE);
      consumer.refreshNow().join();

      KeyRing ring = consumer.keyRing();
      assertThat(ring.current().version()).isEqualTo("2");
      assertThat(ring.previous()).extracting(c -> c.version()).containsExactly("1");
    }
  }
}
