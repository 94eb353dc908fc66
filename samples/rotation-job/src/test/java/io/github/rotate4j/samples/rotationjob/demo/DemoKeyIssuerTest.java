package io.github.rotate4j.samples.rotationjob.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.IssuedKey;
import io.github.rotate4j.testing.ManualTime;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoKeyIssuerTest {

  private final ManualTime time = ManualTime.create();
  private DemoKeyService service;
  private DemoKeyClient client;
  private DemoKeyIssuer issuer;

  @BeforeEach
  void start() throws IOException {
    service = DemoKeyService.builder().clock(time.clock()).start();
    client = DemoKeyClient.of(service.uri());
    issuer = new DemoKeyIssuer(client, "payments");
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void issuedKeysAreLabelledWithTheRotationAndFoundAgain() {
    IssuedKey key = issuer.issue("r-1");

    assertThat(issuer.keysIssuedFor("r-1")).containsExactly(key.keyId());
    assertThat(issuer.keysIssuedFor("r-2")).isEmpty();
    assertThat(service.keys("payments")).singleElement().satisfies(k -> assertThat(k.label()).contains("rotate4j-r-1"));
    assertThat(issuer.keyIdOf(key.value())).contains(key.keyId());
    assertThat(key.toString()).doesNotContain(((SecretValue.Text) key.value()).value());
  }

  @Test
  void revokedKeysAreNoLongerListedForTheirRotationAndRevokingAgainSucceeds() {
    IssuedKey key = issuer.issue("r-1");
    issuer.revoke(key.keyId());
    issuer.revoke(key.keyId());
    issuer.revoke("key-999-unknown");

    assertThat(issuer.keysIssuedFor("r-1")).isEmpty();
    assertThat(client.ping(((SecretValue.Text) key.value()).value())).isEmpty();
  }

  @Test
  void lastUseComesFromTheService() {
    IssuedKey key = issuer.issue("r-1");
    assertThat(issuer.reportsLastUse()).isTrue();
    assertThat(issuer.lastUsed(key.keyId())).isEmpty();

    time.advance(Duration.ofMinutes(5));
    client.ping(((SecretValue.Text) key.value()).value());

    assertThat(issuer.lastUsed(key.keyId())).contains(time.now());
  }

  @Test
  void verifierAcceptsALiveKeyAndRejectsARevokedOneWithoutShowingIt() {
    IssuedKey key = issuer.issue("r-1");
    issuer.verifier().verify(key.value());
    issuer.verifier().verify(SecretValue.ofMap(Map.of("value", ((SecretValue.Text) key.value()).value())));

    issuer.revoke(key.keyId());
    String secret = ((SecretValue.Text) key.value()).value();
    assertThatThrownBy(() -> issuer.verifier().verify(key.value()))
        .hasMessageContaining("answered 401 to the new key of 'payments'")
        .hasMessageNotContaining(secret);
  }

  @Test
  void keyIdOfReadsTextAndOneFieldMapsOnly() {
    assertThat(issuer.keyIdOf(SecretValue.ofString("dk.key-7-abcdef.xyz"))).contains("key-7-abcdef");
    assertThat(issuer.keyIdOf(SecretValue.ofMap(Map.of("apiKey", "dk.key-7-abcdef.xyz")))).contains("key-7-abcdef");
    assertThat(issuer.keyIdOf(SecretValue.ofString("not-a-demo-key"))).isEmpty();
    assertThat(issuer.keyIdOf(SecretValue.ofMap(Map.of("a", "dk.key-1-x.y", "b", "dk.key-2-x.y")))).isEmpty();
  }

  @Test
  void aThirdLiveKeyIsRefusedByTheService() {
    issuer.issue("r-1");
    issuer.issue("r-2");
    assertThatThrownBy(() -> issuer.issue("r-3")).isInstanceOf(DemoKeyServiceException.class).hasMessageContaining("409");
  }
}
