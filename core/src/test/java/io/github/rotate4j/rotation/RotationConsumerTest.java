package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A Rotate4j consumer of the secret while it is rotated: what its key ring shows, and its calls. */
class RotationConsumerTest {

  private final RotationFixture f = new RotationFixture();
  private final AtomicInteger rejected = new AtomicInteger();
  private final RotatingCredential consumer = RotatingCredential.builder("payments-api-key", f.store.provider(f.time.clock()))
      .clock(f.time.clock())
      .scheduler(f.time.scheduler())
      .ioExecutor(ManualTime.directExecutor())
      .eventExecutor(ManualTime.directExecutor())
      .random(new Random(7))
      .build()
      .start();

  @AfterEach
  void close() {
    consumer.close();
  }

  private String callService() throws Exception {
    return consumer.call(c -> {
      if (!f.issuer.authenticate(c.value(), f.time.now())) {
        rejected.incrementAndGet();
        throw new CredentialRejectedException("the service rejected version " + c.version());
      }
      return c.version();
    });
  }

  private void poll() {
    consumer.refreshNow().join();
  }

  @Test
  void keyRingFollowsTheRotation_andNoCallIsRejected() throws Exception {
    Rotator rotator = f.rotatorBuilder().distributionDelay(Duration.ofMinutes(10))
        .usageProbe(UsageProbe.afterTime(Duration.ZERO)).build();
    assertThat(callService()).isEqualTo("1");

    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.DISTRIBUTING);
    poll();
    assertThat(consumer.keyRing().current().version()).isEqualTo("1");
    Credential pending = consumer.keyRing().pending().orElseThrow();
    assertThat(pending.value()).isEqualTo(f.store.snapshot().pending().orElseThrow().value());
    assertThat(callService()).isEqualTo("1");

    f.time.advance(Duration.ofMinutes(10));
    assertThat(rotator.rotate().outcome()).isEqualTo(Outcome.IN_GRACE);
    assertThat(callService()).as("before the consumer polls, the old key still works").isEqualTo("1");
    poll();
    assertThat(consumer.keyRing().current().version()).isEqualTo("2");
    assertThat(consumer.keyRing().previous()).extracting(Credential::version).containsExactly("1");
    assertThat(consumer.verify(((SecretValue.Text) f.firstKey).value()).orElseThrow().slot()).isEqualTo(KeySlot.PREVIOUS);
    assertThat(callService()).isEqualTo("2");

    f.time.advance(RotationFixture.GRACE);
    assertThat(rotator.resume().outcome()).isEqualTo(Outcome.COMPLETED);
    poll();
    assertThat(consumer.keyRing().previous()).isEmpty();
    assertThat(consumer.verify(((SecretValue.Text) f.firstKey).value())).isEmpty();
    assertThat(callService()).isEqualTo("2");

    assertThat(rejected).hasValue(0);
  }
}
