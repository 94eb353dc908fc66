package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.testing.SimulatedCrash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Rotators racing on one secret: exactly one promotes a key, the others stop cleanly (CONFLICT, or
 * they finish the winner's rotation), and the store stays consistent.
 */
class RotatorRaceTest {

  private final RotationFixture f = new RotationFixture();

  @Test
  void rotatorThatReadFirstButWroteSecond_stopsWithConflict() {
    Rotator a = f.rotatorBuilder().rotationIds(() -> "rotation-a").build();
    Rotator b = f.rotatorBuilder().rotationIds(() -> "rotation-b").build();
    AtomicReference<RotationResult> bResult = new AtomicReference<>();
    f.store.faults().runOnce("store.read.after", () -> bResult.set(b.rotate()));

    RotationResult aResult = a.rotate();

    assertThat(bResult.get().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(aResult.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(aResult.message()).contains("another rotator").contains("rotation-b");
    assertThat(aResult.rotationId()).contains("rotation-b");
    assertThat(f.store.writes()).noneMatch(w -> w.contains("rotation-a"));
    assertThat(f.issuer.allKeyIds()).as("the loser created no key").hasSize(2);
    f.assertCurrentKeyWorks();
  }

  @Test
  void rotatorOvertakenWhileIssuing_revokesItsOwnKeyAndStops() {
    Rotator a = f.rotatorBuilder().rotationIds(() -> "rotation-a").build();
    Rotator b = f.rotatorBuilder().rotationIds(() -> "rotation-b").build();
    AtomicReference<RotationResult> bResult = new AtomicReference<>();
    // b finds a's rotation under way, takes it over (a looks dead) and finishes it
    f.issuer.faults().runOnce("issuer.issue.before", () -> bResult.set(b.rotate()));

    RotationResult aResult = a.rotate();

    assertThat(bResult.get().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(aResult.outcome()).isEqualTo(Outcome.CONFLICT);
    RotationState s = f.store.snapshot();
    assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.GRACE);
    assertThat(f.issuer.allKeyIds()).hasSize(3);
    assertThat(f.issuer.liveKeyIds()).as("first key (in grace) and the winner's key only")
        .containsExactlyInAnyOrder(f.firstKeyId, f.currentKeyId());
    f.time.advance(RotationFixture.GRACE);
    assertThat(b.resume().outcome()).isEqualTo(Outcome.COMPLETED);
    f.assertSettled();
  }

  @Test
  void twoRunsResumingAStoppedRotation_oneFinishesIt() {
    f.store.faults().crashOnce("store.promote.before");
    Rotator crashed = f.rotator();
    try {
      crashed.rotate();
    } catch (SimulatedCrash expected) {
      // the first process died
    }
    Rotator b = f.rotator();
    Rotator c = f.rotator();
    AtomicReference<RotationResult> cResult = new AtomicReference<>();
    f.store.faults().runOnce("store.read.after", () -> cResult.set(c.resume()));

    RotationResult bResult = b.resume();

    assertThat(cResult.get().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(bResult.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(f.store.writes()).filteredOn(w -> w.startsWith("promote")).hasSize(1);
    f.assertCurrentKeyWorks();
  }

  @Test
  void runResumingGenerate_overtakenBeforeItRevokesLeftoverKeys_leavesTheWinnersKeyLive() {
    // the first run stops inside issue(): its rotation is left at GENERATE
    f.issuer.faults().crashOnce("issuer.issue.before");
    Rotator first = f.rotatorBuilder().rotationIds(() -> "rotation-x").build();
    try {
      first.rotate();
    } catch (SimulatedCrash expected) {
      // the first process died
    }
    Rotator b = f.rotator();
    Rotator c = f.rotator();
    AtomicReference<RotationResult> cResult = new AtomicReference<>();
    // b claims the stopped rotation; right after its claim (before it looks for leftover keys) c
    // takes the rotation over from b, issues its key and promotes it
    f.store.faults().runOnce("store.writeJournal.after", () -> cResult.set(c.rotate()));

    RotationResult bResult = b.rotate();

    assertThat(cResult.get().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(bResult.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(f.store.writes()).filteredOn(w -> w.startsWith("promote")).hasSize(1);
    assertThat(f.issuer.liveKeyIds()).as("the promoted key stays live; the overtaken run's key is revoked")
        .containsExactlyInAnyOrder(f.firstKeyId, f.currentKeyId());
    f.assertCurrentKeyWorks();
    f.time.advance(RotationFixture.GRACE);
    assertThat(c.resume().outcome()).isEqualTo(Outcome.COMPLETED);
    f.assertSettled();
  }

  @Test
  void runTakingOverARollbackOfALostKey_rollsBackAndStartsANewRotation() {
    // the first run stops before staging its key: the key is lost
    f.store.faults().crashOnce("store.stage.before");
    Rotator first = f.rotatorBuilder().rotationIds(() -> "rotation-x").build();
    try {
      first.rotate();
    } catch (SimulatedCrash expected) {
      // the first process died
    }
    Rotator b = f.rotatorBuilder().rotationIds(() -> "rotation-b").build();
    Rotator c = f.rotatorBuilder().rotationIds(() -> "rotation-c").build();
    AtomicReference<RotationResult> cResult = new AtomicReference<>();
    // b claims STAGE, finds the key lost and records the rollback; right after that c takes the
    // rollback over from b
    f.store.faults().runOnce("store.writeJournal.after",
        () -> f.store.faults().runOnce("store.writeJournal.after", () -> cResult.set(c.rotate())));

    RotationResult bResult = b.rotate();

    assertThat(cResult.get().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(cResult.get().rotationId()).contains("rotation-c");
    assertThat(bResult.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(f.store.writes()).contains("journal rotation-x ROLLED_BACK")
        .filteredOn(w -> w.startsWith("promote")).containsExactly("promote rotation-c");
    assertThat(f.issuer.liveKeyIds()).containsExactlyInAnyOrder(f.firstKeyId, f.currentKeyId());
    f.assertCurrentKeyWorks();
  }

  @RepeatedTest(20)
  void concurrentRotators_startOneRotation() throws Exception {
    int n = 4;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<RotationResult>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Rotator r = f.rotatorBuilder().rotationIds(() -> "rot-" + Thread.currentThread().getId()).build();
        results.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
          return r.rotate();
        }, pool));
      }
      go.countDown();
      List<RotationResult> all = new ArrayList<>();
      for (CompletableFuture<RotationResult> result : results) {
        all.add(result.join());
      }

      assertThat(all).extracting(RotationResult::outcome).allMatch(o -> o == Outcome.IN_GRACE || o == Outcome.CONFLICT);
      // a run that finds a rotation under way takes it over (it cannot tell a slow run from a dead
      // one), so a rotation may be rolled back and a fresh one started; exactly one is promoted
      assertThat(f.store.writes()).filteredOn(w -> w.startsWith("promote")).hasSize(1);
      assertThat(f.store.snapshot().journal().orElseThrow().phase()).isEqualTo(RotationPhase.GRACE);
      assertThat(f.issuer.liveKeyIds()).containsExactlyInAnyOrder(f.firstKeyId, f.currentKeyId());
      f.assertCurrentKeyWorks();
    } finally {
      pool.shutdownNow();
    }
  }
}
