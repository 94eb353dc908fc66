package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.testing.FaultPoints;
import io.github.rotate4j.testing.SimulatedCrash;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kills the workflow at every point a clean run passes (before and after each store and issuer
 * call: after each journal write is after each phase, after a write is in the middle of the call),
 * one crash per run, then lets new runs finish the job; checks the invariants at every step.
 */
class RotatorCrashTest {

  /** What the operator does, as a sequence of runs that new processes repeat after a crash. */
  enum Scenario {
    /** Rotate, wait out the grace window, run again: ends COMPLETED. */
    FULL,
    /** The verifier rejects the new key: ends ROLLED_BACK with the old key current. */
    VERIFY_FAILS,
    /** Rotate, then roll back during the grace window: ends ROLLED_BACK with the old key current. */
    MANUAL_ROLLBACK
  }

  static final int MAX_RUNS = 40;

  static Stream<Arguments> crashPoints() {
    List<Arguments> all = new ArrayList<>();
    for (Scenario scenario : Scenario.values()) {
      RotationFixture clean = new RotationFixture();
      drive(scenario, clean, clean.rotator(), new int[1]);
      Map<String, Integer> occurrences = new LinkedHashMap<>();
      List<String> reached = new ArrayList<>(clean.store.faults().reached());
      reached.addAll(clean.issuer.faults().reached());
      reached.forEach(p -> occurrences.merge(p, 1, Integer::sum));
      occurrences.forEach((point, n) -> {
        for (int i = 1; i <= n; i++) {
          all.add(Arguments.of(scenario, point, i));
        }
      });
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}: crash at {1} #{2}")
  @MethodSource("crashPoints")
  void crashAnywhere_isResumedToAConsistentEnd(Scenario scenario, String point, int occurrence) {
    RotationFixture f = new RotationFixture();
    FaultPoints faults = point.startsWith("store.") ? f.store.faults() : f.issuer.faults();
    faults.crashOn(point, occurrence);
    int[] crashes = new int[1];

    drive(scenario, f, f.rotator(), crashes);

    assertThat(crashes[0]).as("the planned crash happened").isEqualTo(1);
    RotationState s = f.store.snapshot();
    switch (scenario) {
      case FULL -> {
        assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.COMPLETED);
        assertThat(s.current().value()).isNotEqualTo(f.firstKey);
        assertThat(f.issuer.isLive(f.firstKeyId)).as("old key revoked").isFalse();
      }
      case VERIFY_FAILS, MANUAL_ROLLBACK -> {
        assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.ROLLED_BACK);
        assertThat(s.current().value()).isEqualTo(f.firstKey);
      }
    }
    f.assertSettled();
  }

  /** Runs the scenario, repeating runs after crashes, checking invariants after every run. */
  static void drive(Scenario scenario, RotationFixture f, Rotator rotator, int[] crashes) {
    Instant graceEnds = f.time.now().plus(RotationFixture.GRACE);
    if (scenario == Scenario.VERIFY_FAILS) {
      f.verifyFails.set(true);
    }
    boolean rollbackRequested = false;
    for (int run = 0; run < MAX_RUNS; run++) {
      RotationState before = f.store.snapshot();
      if (isDone(scenario, before)) {
        return;
      }
      try {
        RotationResult r;
        if (scenario == Scenario.MANUAL_ROLLBACK && (rollbackRequested || before.journal()
            .filter(j -> j.phase() == RotationPhase.GRACE).isPresent())) {
          rollbackRequested = true;
          r = f.rotator().rollback();
        } else if (scenario == Scenario.VERIFY_FAILS && before.journal().isPresent()) {
          r = rotator.resume();
        } else {
          r = rotator.rotate();
        }
        if (r.outcome() == RotationResult.Outcome.IN_GRACE && scenario == Scenario.FULL) {
          f.time.advance(java.time.Duration.between(f.time.now(), r.resumeAt().orElseThrow()));
        }
      } catch (SimulatedCrash crash) {
        crashes[0]++;
      }
      f.assertCurrentKeyWorks();
      if (f.time.now().isBefore(graceEnds)) {
        assertThat(f.issuer.isLive(f.firstKeyId)).as("old key live before the grace window ends").isTrue();
      }
    }
    throw new AssertionError(scenario + " did not end within " + MAX_RUNS + " runs; store " + f.store.snapshot()
        + ", writes " + f.store.writes());
  }

  private static boolean isDone(Scenario scenario, RotationState s) {
    RotationPhase phase = s.journal().map(RotationJournal::phase).orElse(null);
    return switch (scenario) {
      case FULL -> phase == RotationPhase.COMPLETED;
      case VERIFY_FAILS, MANUAL_ROLLBACK -> phase == RotationPhase.ROLLED_BACK;
    };
  }
}
