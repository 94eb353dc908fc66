package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.testing.FaultPoints;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.SimulatedCrash;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random operator runs, crashes, backend failures, consumer traffic, failed verifications and time
 * jumps, one seed per case (the case name shows the seed to replay). The issuer checks at every
 * revocation that the key is neither current nor an old key inside its grace window or still used;
 * the store is checked after every run.
 */
class RotatorPropertyTest {

  static final int SEEDS = 300;
  static final int STEPS = 60;
  /** Quiet period of the usage probe, shorter than the grace window so that both bind. */
  static final Duration QUIET = Duration.ofMinutes(10);

  static final List<String> STORE_POINTS = List.of(
      "store.read", "store.writeJournal", "store.stage", "store.promote", "store.discardPending",
      "store.restorePrevious", "store.retirePrevious");
  static final List<String> ISSUER_POINTS = List.of("issuer.issue", "issuer.revoke", "issuer.lastUsed");

  static LongStream seeds() {
    return LongStream.rangeClosed(1, SEEDS);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomRunsCrashesAndFailures_keepTheSecretConsistent(long seed) {
    Random random = new Random(seed);
    RotationFixture f = new RotationFixture();
    CheckingIssuer checked = new CheckingIssuer(f);
    Rotator rotator = f.rotatorBuilder().build();
    Rotator checkedRotator = Rotator.builder(f.store, checked)
        .clock(f.time.clock())
        .gracePeriod(RotationFixture.GRACE)
        .usageProbe(UsageProbe.issuerLastUse(checked, QUIET))
        .distributionDelay(random.nextBoolean() ? Duration.ZERO : Duration.ofMinutes(5))
        .schedule(RotationSchedule.every(Duration.ofHours(3)))
        .rotationIds(() -> "seed" + seed + "-" + Long.toHexString(random.nextLong() & 0xffffffL))
        .verifier(KeyVerifier.of(key -> !f.verifyFails.get() && f.issuer.accepts(key)))
        .build();
    assertThat(rotator).isNotNull();

    for (int step = 0; step < STEPS; step++) {
      plan(random, f);
      f.verifyFails.set(random.nextInt(8) == 0);
      consumerTraffic(random, f);
      try {
        switch (random.nextInt(10)) {
          case 0 -> checkedRotator.rollback();
          case 1, 2 -> checkedRotator.resume();
          case 3, 4 -> checkedRotator.rotate();
          default -> checkedRotator.rotateIfDue();
        }
      } catch (SimulatedCrash crash) {
        // a new process takes over in the next step
      }
      checkStore(f, "seed " + seed + " step " + step);
      f.time.advance(Duration.ofMinutes(random.nextInt(90)));
    }

    // quiet end: no faults, no traffic on old keys; the rotation under way must finish
    f.store.faults().clear();
    f.issuer.faults().clear();
    f.verifyFails.set(false);
    for (int run = 0; run < 10 && f.store.snapshot().activeRotation().isPresent(); run++) {
      checkedRotator.resume();
      f.time.advance(RotationFixture.GRACE.multipliedBy(2));
    }
    assertThat(f.store.snapshot().activeRotation()).as("seed %s: rotation finished", seed).isEmpty();
    assertThat(f.issuer.allKeyIds()).as("seed %s: keys were issued", seed).hasSizeGreaterThan(2);
    f.assertSettled();
  }

  private static void plan(Random random, RotationFixture f) {
    f.store.faults().clear();
    f.issuer.faults().clear();
    int dice = random.nextInt(10);
    if (dice >= 4) {
      return;
    }
    boolean store = random.nextInt(3) > 0;
    List<String> points = store ? STORE_POINTS : ISSUER_POINTS;
    String point = points.get(random.nextInt(points.size())) + (random.nextBoolean() ? ".before" : ".after");
    FaultPoints faults = store ? f.store.faults() : f.issuer.faults();
    int occurrence = 1 + random.nextInt(3);
    if (dice < 3) {
      faults.crashOn(point, occurrence);
    } else {
      faults.failOnce(point, () -> new IllegalStateException("backend unavailable (planned)"));
    }
  }

  private static void consumerTraffic(Random random, RotationFixture f) {
    RotationState s = f.store.snapshot();
    f.issuer.authenticate(s.current().value(), f.time.now());
    if (random.nextInt(4) == 0) {
      s.previous().ifPresent(p -> f.issuer.authenticate(p.value(), f.time.now())); // a straggler
    }
  }

  private static void checkStore(RotationFixture f, String where) {
    f.assertCurrentKeyWorks();
    RotationState s = f.store.snapshot();
    if (s.journal().isPresent() && s.journal().get().phase().isTerminal()) {
      assertThat(s.pending()).as("%s: nothing pending after the rotation ended", where).isEmpty();
      assertThat(f.issuer.liveKeyIds()).as("%s: only the current key is live; journal %s", where, s.journal())
          .containsExactly(f.currentKeyId());
    }
    s.pending().ifPresent(p -> assertThat(s.activeRotation().map(RotationJournal::rotationId))
        .as("%s: a pending key belongs to the rotation under way", where).contains(p.rotationId()));
  }

  /** Forwards to the in-memory service and checks every revocation against the store. */
  private static final class CheckingIssuer implements KeyIssuer {
    private final RotationFixture f;
    private final InMemoryKeyIssuer delegate;

    CheckingIssuer(RotationFixture f) {
      this.f = f;
      this.delegate = f.issuer;
    }

    @Override
    public IssuedKey issue(String rotationId) {
      return delegate.issue(rotationId);
    }

    @Override
    public void revoke(String keyId) {
      RotationState s = f.store.snapshot();
      Instant now = f.time.now();
      assertThat(delegate.keyIdOf(s.current().value())).as("never revoke the current key").isNotEqualTo(Optional.of(keyId));
      Optional<SecretValue> previous = s.previous().map(StoredKey::value);
      boolean isOldKey = previous.isPresent() && delegate.keyIdOf(previous.get()).equals(Optional.of(keyId));
      RotationJournal j = s.journal().orElseThrow();
      if (isOldKey && j.phase() == RotationPhase.REVOKE_OLD) {
        assertThat(now).as("old key revoked only after the grace window").isAfterOrEqualTo(j.graceEndsAt().orElseThrow());
        delegate.lastUsed(keyId).ifPresent(last -> assertThat(last)
            .as("old key revoked only when unused for the quiet period").isBeforeOrEqualTo(now.minus(QUIET)));
      }
      delegate.revoke(keyId);
    }

    @Override
    public Optional<Instant> lastUsed(String keyId) {
      return delegate.lastUsed(keyId);
    }

    @Override
    public boolean reportsLastUse() {
      return true;
    }

    @Override
    public List<String> keysIssuedFor(String rotationId) {
      return delegate.keysIssuedFor(rotationId);
    }

    @Override
    public boolean listsKeysByRotation() {
      return true;
    }

    @Override
    public Optional<String> keyIdOf(SecretValue value) {
      return delegate.keyIdOf(value);
    }
  }
}
