package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.testing.FaultInjectingSecretStore;
import io.github.rotate4j.testing.FaultPoints;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.ManualTime;
import io.github.rotate4j.testing.SimulatedCrash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * A full rotation on a Secrets Manager secret (moto), killed at every point between the store's
 * calls and between the issuer's, then resumed by new runs.
 */
@ExtendWith(MotoServerExtension.class)
class SecretsManagerRotationCrashIT {

  static final Duration GRACE = Duration.ofHours(1);
  static final String SECRET = "payments/api-key";

  final MotoServer moto;

  SecretsManagerRotationCrashIT(MotoServer moto) {
    this.moto = moto;
  }

  /** The secret, its issuer and a rotator on it. */
  final class Rig implements AutoCloseable {
    final ManualTime time = ManualTime.create();
    final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
    final SecretValue firstKey = SecretValue.ofString("first-key-3e8b");
    final String firstKeyId = issuer.register(firstKey);
    final SecretsManagerClient client = moto.newClient();
    final FaultInjectingSecretStore store;
    final Rotator rotator;

    Rig(String secret) {
      client.createSecret(r -> r.name(secret).secretString("first-key-3e8b"));
      store = FaultInjectingSecretStore.wrap(SecretsManagerSecretStore.of(client, secret));
      rotator = Rotator.builder(store, issuer).clock(time.clock()).gracePeriod(GRACE)
          .verifier(KeyVerifier.of(issuer::accepts)).build();
    }

    int drive() {
      int crashes = 0;
      for (int run = 0; run < 30; run++) {
        RotationState s = store.read();
        assertThat(issuer.accepts(s.current().value())).as("the current key works; journal %s", s.journal()).isTrue();
        if (s.journal().filter(j -> j.phase() == RotationPhase.COMPLETED).isPresent()) {
          return crashes;
        }
        if (time.now().isBefore(ManualTime.DEFAULT_START.plus(GRACE))) {
          assertThat(issuer.isLive(firstKeyId)).as("old key live during grace").isTrue();
        }
        try {
          RotationResult r = rotator.rotate();
          r.resumeAt().ifPresent(t -> time.advance(Duration.between(time.now(), t)));
        } catch (SimulatedCrash crash) {
          crashes++;
        }
      }
      throw new AssertionError("the rotation did not complete in 30 runs: " + store.read());
    }

    @Override
    public void close() {
      client.close();
    }
  }

  static Stream<Arguments> everyPoint() {
    List<Arguments> all = new ArrayList<>();
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("store.writeJournal", 8);
    expected.put("store.stage", 1);
    expected.put("store.promote", 1);
    expected.put("store.retirePrevious", 1);
    expected.put("issuer.issue", 1);
    expected.put("issuer.revoke", 1);
    expected.forEach((op, n) -> {
      for (String side : new String[] {".before", ".after"}) {
        for (int i = 1; i <= n; i++) {
          all.add(Arguments.of(op + side, i));
        }
      }
    });
    return all.stream();
  }

  @ParameterizedTest(name = "crash at {0} #{1}")
  @MethodSource("everyPoint")
  void crashAnywhere_onASecretsManagerSecret_isResumedToTheEnd(String point, int occurrence) {
    try (Rig rig = new Rig(SECRET)) {
      FaultPoints faults = point.startsWith("store.") ? rig.store.faults() : rig.issuer.faults();
      faults.crashOn(point, occurrence);

      int crashes = rig.drive();

      assertThat(crashes).as("the planned crash happened").isEqualTo(1);
      RotationState s = rig.store.read();
      assertThat(s.current().value()).isNotEqualTo(rig.firstKey);
      assertThat(s.pending()).isEmpty();
      assertThat(s.previous()).as("AWSPREVIOUS retired after revocation").isEmpty();
      assertThat(rig.issuer.isLive(rig.firstKeyId)).isFalse();
      assertThat(rig.issuer.liveKeyIds()).containsExactly(rig.issuer.keyIdOf(s.current().value()).orElseThrow());
    }
  }

  @Test
  void cleanRotation_passesTheEnumeratedPoints() {
    try (Rig clean = new Rig(SECRET)) {
      clean.drive();
      Map<String, Integer> occurrences = new LinkedHashMap<>();
      List<String> reached = new ArrayList<>(clean.store.faults().reached());
      reached.addAll(clean.issuer.faults().reached());
      reached.stream().filter(p -> p.endsWith(".before") && !p.startsWith("store.read") && !p.startsWith("issuer.lastUsed"))
          .forEach(p -> occurrences.merge(p.substring(0, p.length() - ".before".length()), 1, Integer::sum));
      assertThat(occurrences).containsExactlyInAnyOrderEntriesOf(Map.of(
          "store.writeJournal", 8, "store.stage", 1, "store.promote", 1, "store.retirePrevious", 1,
          "issuer.issue", 1, "issuer.revoke", 1));
    }
  }

  @Test
  void promotionInterruptedAfterMovingAwsCurrent_isCompleted() {
    try (Rig rig = new Rig(SECRET)) {
      rig.store.faults().crashOnce("store.promote.before");
      try {
        rig.rotator.rotate();
      } catch (SimulatedCrash expected) {
        // the process died inside promote, after AWSCURRENT moved (done by hand below)
      }
      RotationState before = rig.store.read();
      String pending = before.pending().orElseThrow().version();
      rig.client.updateSecretVersionStage(r -> r.secretId(SECRET).versionStage("AWSCURRENT")
          .moveToVersionId(pending).removeFromVersionId(before.current().version()));

      RotationResult resumed = rig.rotator.resume();

      assertThat(resumed.outcome()).isEqualTo(RotationResult.Outcome.IN_GRACE);
      RotationState s = rig.store.read();
      assertThat(s.current().version()).isEqualTo(pending);
      assertThat(s.previous().orElseThrow().version()).isEqualTo(before.current().version());
      assertThat(s.pending()).isEmpty();
      assertThat(rig.client.describeSecret(r -> r.secretId(SECRET)).versionIdsToStages().get(pending))
          .containsExactly("AWSCURRENT");
    }
  }
}
