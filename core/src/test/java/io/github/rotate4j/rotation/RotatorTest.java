package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RotatorTest {

  private final RotationFixture f = new RotationFixture();

  @Test
  void rotate_promotesNewKeyAndKeepsOldOneDuringGrace() {
    Instant start = f.time.now();
    RotationResult r = f.rotator().rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(r.resumeAt()).contains(start.plus(RotationFixture.GRACE));
    RotationState s = f.store.snapshot();
    assertThat(s.current().value()).isNotEqualTo(f.firstKey);
    assertThat(s.current().version()).isEqualTo("2");
    assertThat(s.previous().orElseThrow().value()).isEqualTo(f.firstKey);
    assertThat(s.pending()).isEmpty();
    assertThat(s.rotatedAt()).contains(start);
    assertThat(s.nextRotation()).contains(start.plus(Rotator.DEFAULT_FREQUENCY));
    assertThat(f.issuer.isLive(f.firstKeyId)).as("old key during grace").isTrue();
    assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.GRACE);
    assertThat(s.journal().orElseThrow().oldKeyId()).contains(f.firstKeyId);
  }

  @Test
  void resume_beforeGraceEnds_revokesNothing() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE.minusSeconds(1));

    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(f.issuer.isLive(f.firstKeyId)).isTrue();
  }

  @Test
  void resume_afterGrace_revokesOldKeyAndRetiresIt() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);

    RotationResult r = rotator.resume();

    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(r.warnings()).isEmpty();
    assertThat(f.issuer.isLive(f.firstKeyId)).isFalse();
    assertThat(f.store.snapshot().previous()).isEmpty();
    f.assertSettled();
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
  }

  @Test
  void secondRotation_revokesTheKeyTheFirstOneIssued() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);
    rotator.resume();
    String secondKeyId = f.currentKeyId();

    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);

    assertThat(f.issuer.isLive(secondKeyId)).isFalse();
    assertThat(f.store.snapshot().current().version()).isEqualTo("3");
    f.assertSettled();
  }

  @Test
  void oldKeyStillInUse_isNotRevokedAndIsReported_thenRevokedOnceQuiet() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(Duration.ofMinutes(50));
    f.issuer.authenticate(f.firstKey, f.time.now()); // a consumer still sends the old key
    f.time.advance(Duration.ofMinutes(10));

    RotationResult r = rotator.resume();

    assertThat(r.outcome()).isEqualTo(Outcome.OLD_KEY_IN_USE);
    assertThat(r.needsAttention()).isTrue();
    assertThat(r.warnings()).singleElement().asString().contains("still in use");
    assertThat(f.issuer.isLive(f.firstKeyId)).isTrue();
    assertThat(f.store.snapshot().journal().orElseThrow().phase()).isEqualTo(RotationPhase.GRACE);

    f.time.advance(Duration.ofMinutes(51)); // quiet for a whole grace period since the last use
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(f.issuer.isLive(f.firstKeyId)).isFalse();
  }

  @Test
  void failedVerification_rollsBack() {
    f.verifyFails.set(true);

    RotationResult r = f.rotator().rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.VERIFY_FAILED);
    assertThat(r.phase()).contains(RotationPhase.ROLLED_BACK);
    RotationState s = f.store.snapshot();
    assertThat(s.current().value()).isEqualTo(f.firstKey);
    assertThat(s.current().version()).isEqualTo("1");
    assertThat(s.pending()).isEmpty();
    assertThat(f.issuer.liveKeyIds()).containsExactly(f.firstKeyId);
    assertThat(f.issuer.allKeyIds()).hasSize(2);
  }

  @Test
  void failedVerification_messageNamesTheFailureButNoKey() {
    f.verifyFails.set(true);
    RotationResult r = f.rotator().rotate();
    String newKeyId = f.issuer.allKeyIds().get(1);

    assertThat(r.toString()).contains("verification failed").contains("memory payments-api-key");
    assertThat(r.toString()).doesNotContain(((SecretValue.Text) f.firstKey).value());
    assertThat(f.issuer.isLive(newKeyId)).isFalse();
  }

  @Test
  void manualRollback_afterPromotion_restoresOldKeyAndRevokesNewOne() {
    Rotator rotator = f.rotator();
    Instant before = f.time.now().minus(Duration.ofDays(30));
    f.store.schedule(before, before.plus(Duration.ofDays(90)));
    f.time.advance(Duration.ofMinutes(1));
    rotator.rotate();
    String newKeyId = f.currentKeyId();

    RotationResult r = rotator.rollback();

    assertThat(r.outcome()).isEqualTo(Outcome.ROLLED_BACK);
    RotationState s = f.store.snapshot();
    assertThat(s.current().value()).isEqualTo(f.firstKey);
    assertThat(s.rotatedAt()).contains(before);
    assertThat(s.pending()).isEmpty();
    assertThat(f.issuer.isLive(newKeyId)).isFalse();
    assertThat(f.issuer.liveKeyIds()).containsExactly(f.firstKeyId);
  }

  @Test
  void rotationAfterRollback_revokesTheRestoredKey() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    rotator.rollback();

    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(f.issuer.isLive(f.firstKeyId)).isFalse();
    f.assertSettled();
  }

  @Test
  void manualRollback_beforePromotion_removesPendingKey() {
    Rotator rotator = f.rotatorBuilder().distributionDelay(Duration.ofMinutes(10)).build();
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.DISTRIBUTING);
    assertThat(f.store.snapshot().pending()).isPresent();

    assertThat(rotator.rollback().outcome()).isEqualTo(Outcome.ROLLED_BACK);

    assertThat(f.store.snapshot().pending()).isEmpty();
    assertThat(f.store.snapshot().current().value()).isEqualTo(f.firstKey);
    assertThat(f.issuer.liveKeyIds()).containsExactly(f.firstKeyId);
  }

  @Test
  void rollback_afterOldKeyRevoked_isRefused() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);
    rotator.resume();
    String current = f.currentKeyId();

    RotationResult r = rotator.rollback();

    assertThat(r.outcome()).isEqualTo(Outcome.NEEDS_ATTENTION);
    assertThat(r.message()).contains("revoked");
    assertThat(f.currentKeyId()).isEqualTo(current);
  }

  @Test
  void rollback_withNothingToRollBack() {
    assertThat(f.rotator().rollback().outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
  }

  @Test
  void distributionDelay_waitsBeforeVerifyingAndPromoting() {
    Rotator rotator = f.rotatorBuilder().distributionDelay(Duration.ofMinutes(10)).build();
    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.DISTRIBUTING);
    assertThat(r.resumeAt()).contains(f.time.now().plus(Duration.ofMinutes(10)));
    RotationState s = f.store.snapshot();
    assertThat(s.current().value()).as("no unverified key is current").isEqualTo(f.firstKey);
    assertThat(s.pending().orElseThrow().rotationId()).isEqualTo("rot-1");

    f.time.advance(Duration.ofMinutes(10));
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(f.store.snapshot().current().value()).isEqualTo(s.pending().orElseThrow().value());
  }

  @Test
  void failingRevoke_isRetriedOnTheNextRun_andConsumersKeepTheCurrentKey() {
    Rotator rotator = f.rotator();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);
    f.issuer.faults().failOnce("issuer.revoke.before", () -> new IllegalStateException("service returned 503"));

    RotationResult r = rotator.resume();

    assertThat(r.outcome()).isEqualTo(Outcome.REVOKE_FAILED);
    assertThat(r.message()).contains("503").contains(f.firstKeyId);
    assertThat(f.issuer.isLive(f.firstKeyId)).isTrue();
    f.assertCurrentKeyWorks();

    RotationResult retry = rotator.resume();
    assertThat(retry.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(f.issuer.isLive(f.firstKeyId)).isFalse();
  }

  @Test
  void rotateIfDue_followsTheSchedule() {
    Instant rotatedAt = f.time.now();
    f.store.schedule(rotatedAt, rotatedAt.plus(Duration.ofDays(30)));
    Rotator rotator = f.rotatorBuilder().schedule(RotationSchedule.every(Duration.ofDays(30))).build();
    f.time.advance(Duration.ofDays(29));

    assertThat(rotator.isDue(f.time.now())).isFalse();
    assertThat(rotator.rotateIfDue().outcome()).isEqualTo(Outcome.NOT_DUE);
    assertThat(f.store.writes()).isEmpty();

    f.time.advance(Duration.ofDays(1));
    assertThat(rotator.isDue(f.time.now())).isTrue();
    assertThat(rotator.status().overdue()).isFalse();
    f.time.advance(Rotator.DEFAULT_OVERDUE_AFTER);
    RotationStatus status = rotator.status();
    assertThat(status.overdue()).isTrue();
    assertThat(status.sinceRotation()).contains(Duration.ofDays(31));

    assertThat(rotator.rotateIfDue().outcome()).isEqualTo(Outcome.IN_GRACE);
    RotationStatus after = rotator.status();
    assertThat(after.rotatedAt()).contains(f.time.now());
    assertThat(after.nextRotation()).contains(f.time.now().plus(Duration.ofDays(30)));
    assertThat(after.due()).isFalse();
  }

  @Test
  void nextRotationSchedule_isDueAtTheRecordedInstantOnly() {
    Rotator rotator = f.rotatorBuilder().schedule(RotationSchedule.fromNextRotation()).build();
    assertThat(rotator.isDue(f.time.now().plus(Duration.ofDays(10_000)))).isFalse();

    f.store.schedule(null, f.time.now().plus(Duration.ofDays(2)));
    assertThat(rotator.isDue(f.time.now().plus(Duration.ofDays(1)))).isFalse();
    assertThat(rotator.isDue(f.time.now().plus(Duration.ofDays(2)))).isTrue();
  }

  @Test
  void singleLiveKeyIssuer_hasNoGraceWindowAndEndsWithOneKey() {
    RotationFixture single = new RotationFixture(InMemoryKeyIssuer.singleLiveKey());
    Rotator rotator = single.rotator();

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(r.message()).contains("one live key");
    single.assertSettled();
    assertThat(rotator.rollback().outcome()).isEqualTo(Outcome.NEEDS_ATTENTION);
  }

  @Test
  void unknownOldKeyId_completesWithAWarning() {
    InMemoryKeyIssuer forgetful = InMemoryKeyIssuer.create();
    RotationFixture g = new RotationFixture(forgetful);
    KeyIssuer noLookup = new KeyIssuer() {
      @Override
      public IssuedKey issue(String rotationId) {
        return forgetful.issue(rotationId);
      }

      @Override
      public void revoke(String keyId) {
        forgetful.revoke(keyId);
      }
    };
    Rotator rotator = Rotator.builder(g.store, noLookup).clock(g.time.clock()).verifier(KeyVerifier.none()).build();
    rotator.rotate();
    g.time.advance(Rotator.DEFAULT_GRACE_PERIOD);

    RotationResult r = rotator.resume();

    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(r.warnings()).singleElement().asString().contains("id at the issuer is unknown");
    assertThat(g.issuer.isLive(g.firstKeyId)).isTrue();
  }

  @Test
  void consumerMatchProbe_keepsOldKeyWhileConsumersMatchIt() {
    Map<String, Long> recent = new java.util.concurrent.ConcurrentHashMap<>(Map.of("1", 4L));
    Rotator rotator = f.rotatorBuilder().usageProbe(UsageProbe.consumerMatches(() -> recent)).build();
    rotator.rotate();
    f.time.advance(RotationFixture.GRACE);

    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.OLD_KEY_IN_USE);
    recent.put("1", 0L);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);
  }

  @Test
  void failingIssuer_leavesNothingBehindAndIsResumed() {
    f.issuer.faults().failOnce("issuer.issue.before", () -> new IllegalStateException("connection refused"));
    Rotator rotator = f.rotator();

    RotationResult r = rotator.rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).contains("connection refused");
    assertThat(f.store.snapshot().current().value()).isEqualTo(f.firstKey);
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(f.store.snapshot().journal().orElseThrow().rotationId()).as("same rotation resumed").isEqualTo("rot-1");
  }

  @Test
  void builder_rejectsBadSettings() {
    Rotator.Builder b = f.rotatorBuilder();
    assertThatThrownBy(() -> b.gracePeriod(Duration.ofSeconds(-1)))
        .hasMessageContaining("gracePeriod must not be negative, but was PT-1S");
    assertThatThrownBy(() -> Rotator.builder(f.store, f.issuer).build()).hasMessageContaining("verifier");
    assertThatThrownBy(() -> RotationSchedule.every(Duration.ZERO)).hasMessageContaining("PT0S");
  }

  @Test
  void badRotationId_failsBeforeAnythingChanges() {
    RotationResult r = f.rotatorBuilder().rotationIds(() -> "no spaces allowed").build().rotate();
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).contains("no spaces allowed");
    assertThat(f.store.writes()).isEmpty();
  }

  @Test
  void storeRefusingTheNewKey_rollsBackAndRevokesIt() {
    f.store.faults().failOnce("store.stage.before",
        () -> new RotationException(f.store.describe(), "rot-1", "the secret is too small for two keys", null));

    RotationResult r = f.rotator().rotate();

    assertThat(r.outcome()).isEqualTo(Outcome.ROLLED_BACK);
    assertThat(r.needsAttention()).isTrue();
    assertThat(r.warnings()).singleElement().asString().contains("too small for two keys");
    assertThat(f.issuer.liveKeyIds()).containsExactly(f.firstKeyId);
    assertThat(f.store.snapshot().pending()).isEmpty();
  }
}
