package io.github.rotate4j.vault;

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
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A full rotation on a real OpenBao KV v2 secret, killed at every point between the store's calls
 * and between the issuer's, then resumed by new runs: it ends with the new key current, the old key
 * revoked, nothing pending and no other key live.
 */
@ExtendWith(DevServers.class)
class VaultKvRotationCrashIT {

  static final Duration GRACE = Duration.ofHours(1);

  final OpenBaoDevServer bao;

  VaultKvRotationCrashIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  /** One secret, its issuer and a rotator on it. */
  final class Rig implements AutoCloseable {
    final ManualTime time = ManualTime.create();
    final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
    final SecretValue firstKey = SecretValue.ofString("first-" + UUID.randomUUID());
    final String firstKeyId = issuer.register(firstKey);
    final VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
    final String path = "it/crash-" + UUID.randomUUID();
    final FaultInjectingSecretStore store;
    final Rotator rotator;

    Rig() {
      bao.write("secret/data/" + path, "{\"data\":{\"api_key\":\"" + ((SecretValue.Text) firstKey).value() + "\"}}");
      store = FaultInjectingSecretStore.wrap(VaultKvSecretStore.of(session, "secret", path));
      rotator = Rotator.builder(store, issuer).clock(time.clock()).gracePeriod(GRACE)
          .verifier(KeyVerifier.of(issuer::accepts)).build();
    }

    /** Runs until the rotation completed, repeating runs after crashes; returns the crash count. */
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
      session.close();
    }
  }

  static Stream<Arguments> everyPoint() {
    // a clean full rotation passes each point this many times (checked by the test itself)
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
  void crashAnywhere_onARealKvSecret_isResumedToTheEnd(String point, int occurrence) {
    try (Rig rig = new Rig()) {
      FaultPoints faults = point.startsWith("store.") ? rig.store.faults() : rig.issuer.faults();
      faults.crashOn(point, occurrence);

      int crashes = rig.drive();

      assertThat(crashes).as("the planned crash happened").isEqualTo(1);
      RotationState s = rig.store.read();
      assertThat(s.current().value()).isNotEqualTo(rig.firstKey);
      assertThat(s.pending()).isEmpty();
      assertThat(rig.issuer.isLive(rig.firstKeyId)).isFalse();
      assertThat(rig.issuer.liveKeyIds()).containsExactly(rig.issuer.keyIdOf(s.current().value()).orElseThrow());
      assertThat(bao.read("secret/metadata/" + rig.path).get("data").asObject().get("custom_metadata").asObject()
          .get(VaultKvSecretStore.PENDING_ID)).isNull();
    }
  }

  @Test
  void cleanRotation_passesTheEnumeratedPoints() {
    try (Rig clean = new Rig()) {
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
  void promotionInterruptedAfterItsDataWrite_isCompletedNotRepeated() {
    try (Rig rig = new Rig()) {
      rig.store.faults().crashOnce("store.promote.before");
      try {
        rig.rotator.rotate();
      } catch (SimulatedCrash expected) {
        // the process died inside promote, after the new version was written (done by hand below)
      }
      String pendingKey = ((SecretValue.Text) rig.store.read().pending().orElseThrow().value()).value();
      bao.write("secret/data/" + rig.path, "{\"options\":{\"cas\":1},\"data\":{\"api_key\":\"" + pendingKey + "\"}}");

      RotationResult resumed = rig.rotator.resume();

      assertThat(resumed.outcome()).isEqualTo(io.github.rotate4j.rotation.RotationResult.Outcome.IN_GRACE);
      RotationState s = rig.store.read();
      assertThat(s.current().version()).as("no second version written").isEqualTo("2");
      assertThat(s.current().value()).isEqualTo(SecretValue.ofString(pendingKey));
      assertThat(s.previous().orElseThrow().value()).isEqualTo(rig.firstKey);
      assertThat(s.pending()).isEmpty();
      assertThat(s.rotatedAt()).contains(rig.time.now());
    }
  }
}
