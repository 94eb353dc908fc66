package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.InMemorySecretStore;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A secret in memory, the service that issues its keys, and a rotator for it, on manual time. */
final class RotationFixture {

  static final Duration GRACE = Duration.ofHours(1);

  final ManualTime time = ManualTime.create();
  final InMemoryKeyIssuer issuer;
  final SecretValue firstKey = SecretValue.ofString("first-key-0123456789abcdef");
  final String firstKeyId;
  final InMemorySecretStore store;
  final AtomicBoolean verifyFails = new AtomicBoolean();
  private final AtomicInteger ids = new AtomicInteger();

  RotationFixture() {
    this(InMemoryKeyIssuer.create());
  }

  RotationFixture(InMemoryKeyIssuer issuer) {
    this.issuer = issuer;
    this.firstKeyId = issuer.register(firstKey);
    this.store = InMemorySecretStore.create("payments-api-key", firstKey, time.now());
  }

  Rotator.Builder rotatorBuilder() {
    return Rotator.builder(store, issuer)
        .clock(time.clock())
        .gracePeriod(GRACE)
        .rotationIds(() -> "rot-" + ids.incrementAndGet())
        .verifier(KeyVerifier.of(key -> !verifyFails.get() && issuer.accepts(key)));
  }

  Rotator rotator() {
    return rotatorBuilder().build();
  }

  /** The id at the issuer of the key the store holds as current. */
  String currentKeyId() {
    return issuer.keyIdOf(store.snapshot().current().value()).orElseThrow();
  }

  /** What must hold at every moment: one current key, and the service accepts it. */
  void assertCurrentKeyWorks() {
    RotationState s = store.snapshot();
    assertThat(issuer.accepts(s.current().value()))
        .as("the current key (version %s) is live at the issuer; journal %s", s.current().version(), s.journal())
        .isTrue();
  }

  /** What must hold once a rotation ended: nothing pending, no key live but the current one. */
  void assertSettled() {
    RotationState s = store.snapshot();
    assertThat(s.pending()).as("pending key").isEmpty();
    assertThat(issuer.liveKeyIds()).as("live keys at the issuer").containsExactly(currentKeyId());
  }
}
