package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyRingTest {

  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private static Credential key(String version, String value) {
    return Credential.builder(version).value(SecretValue.ofString(value)).issuedAt(T0).build();
  }

  @Test
  void match_reportsVersionAndSlotOfEveryLiveKey() {
    KeyRing ring = KeyRing.of(List.of(
        new KeyRing.Entry(key("3", "k3"), KeySlot.CURRENT, null),
        new KeyRing.Entry(key("4", "k4"), KeySlot.PENDING, null),
        new KeyRing.Entry(key("2", "k2"), KeySlot.PREVIOUS, T0.plusSeconds(60))));
    assertThat(ring.match("k3", T0)).contains(new KeyMatch("3", KeySlot.CURRENT));
    assertThat(ring.match("k4", T0)).contains(new KeyMatch("4", KeySlot.PENDING));
    assertThat(ring.match("k2", T0)).contains(new KeyMatch("2", KeySlot.PREVIOUS));
    assertThat(ring.match("k2", T0.plusSeconds(60))).as("grace over").isEmpty();
    assertThat(ring.match("nope", T0)).isEmpty();
    assertThat(ring.match("k", T0)).as("a prefix is no match").isEmpty();
    assertThat(ring.current().version()).isEqualTo("3");
    assertThat(ring.pending()).map(Credential::version).contains("4");
    assertThat(ring.previous()).extracting(Credential::version).containsExactly("2");
  }

  @Test
  void match_neverAcceptsAnExpiredKey() {
    Credential lease = Credential.builder("lease-1").value(SecretValue.ofString("pw")).issuedAt(T0)
        .expiresAt(T0.plusSeconds(10)).lease("lease-1", true).build();
    KeyRing ring = KeyRing.of(lease);
    assertThat(ring.match("pw", T0.plusSeconds(9))).isPresent();
    assertThat(ring.match("pw", T0.plusSeconds(10))).isEmpty();
  }

  @Test
  void presentedForm_ofEachValueKind() {
    Instant now = T0;
    assertThat(KeyRing.of(Credential.builder("1").value(SecretValue.ofUsernamePassword("app", "pw")).issuedAt(now).build())
        .match("pw", now)).isPresent();
    assertThat(KeyRing.of(Credential.builder("1").value(SecretValue.ofBytes(new byte[] {1, 2, 3})).issuedAt(now).build())
        .match(new byte[] {1, 2, 3}, now)).isPresent();
    assertThat(KeyRing.of(Credential.builder("1").value(SecretValue.ofMap(Map.of("api_key", "xyz"))).issuedAt(now).build())
        .match("xyz", now)).isPresent();
    KeyRing twoFields = KeyRing.of(Credential.builder("1")
        .value(SecretValue.ofMap(Map.of("a", "x", "b", "y"))).issuedAt(now).build());
    assertThatThrownBy(() -> twoFields.match("x", now)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("2 fields").hasMessageNotContaining("x\"").hasMessageNotContaining("y\"");
  }

  @Test
  void keyField_selectsTheFieldOfAMapThatCallersPresent() {
    Credential json = Credential.builder("7").value(SecretValue.ofMap(Map.of("apiKey", "k-7", "clientId", "c")))
        .issuedAt(T0).build();
    KeyRing ring = KeyRing.of(json);
    assertThat(ring.match("k-7".getBytes(java.nio.charset.StandardCharsets.UTF_8), T0, "apiKey"))
        .contains(new KeyMatch("7", KeySlot.CURRENT));
    assertThat(ring.match("c".getBytes(java.nio.charset.StandardCharsets.UTF_8), T0, "apiKey")).isEmpty();
    assertThatThrownBy(() -> ring.match("k-7".getBytes(java.nio.charset.StandardCharsets.UTF_8), T0, "nope"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("'nope'").hasMessageContaining("2 fields")
        .hasMessageNotContaining("apiKey").hasMessageNotContaining("k-7");
  }

  @Test
  void verify_usesTheConfiguredKeyField() {
    Fixture f = new Fixture();
    io.github.rotate4j.testing.InMemoryCredentialProvider backend = f.backend()
        .initialValue(SecretValue.ofMap(Map.of("apiKey", "k-1", "clientId", "c"))).build();
    try (RotatingCredential c = f.builder(backend).keyField("apiKey").build()) {
      c.start();
      assertThat(c.verify("k-1")).contains(new KeyMatch("1", KeySlot.CURRENT));
      assertThat(c.verify("c")).isEmpty();
    }
  }

  @Test
  void ring_needsExactlyOneCurrent() {
    assertThatThrownBy(() -> KeyRing.of(List.of(new KeyRing.Entry(key("1", "a"), KeySlot.PREVIOUS, null))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("current");
    assertThatThrownBy(() -> KeyRing.of(List.of(
        new KeyRing.Entry(key("1", "a"), KeySlot.CURRENT, null), new KeyRing.Entry(key("2", "b"), KeySlot.CURRENT, null))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1").hasMessageContaining("2");
  }

  @Test
  void toString_showsVersionsNotValues() {
    KeyRing ring = KeyRing.of(List.of(
        new KeyRing.Entry(key("3", "secret-three"), KeySlot.CURRENT, null),
        new KeyRing.Entry(key("2", "secret-two"), KeySlot.PREVIOUS, T0)));
    assertThat(ring.toString()).contains("current=3").contains("previous=2").doesNotContain("secret");
    assertThat(key("3", "secret-three").toString()).contains("version=3").doesNotContain("secret-three");
    assertThat(SecretValue.ofUsernamePassword("u", "secret-pw").toString()).doesNotContain("secret-pw");
  }

  @Test
  void credential_validatesItsFields() {
    assertThatThrownBy(() -> Credential.builder(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Credential.builder("1").value(SecretValue.ofString("x")).issuedAt(T0)
        .expiresAt(T0.minusSeconds(1)).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expiresAt must not be before issuedAt");
    assertThatThrownBy(() -> key("1", "x").usernamePassword()).isInstanceOf(IllegalStateException.class)
        .hasMessageNotContaining("x\"");
    Credential kv = Credential.builder("1").value(SecretValue.ofMap(Map.of("username", "u", "password", "p")))
        .issuedAt(T0).build();
    assertThat(kv.usernamePassword().username()).isEqualTo("u");
    Credential db = Credential.builder("2")
        .value(SecretValue.ofUsernamePassword("app", "pw", Map.of("host", "db.local", "port", "5432")))
        .issuedAt(T0).build();
    assertThat(db.usernamePassword().attributes()).containsEntry("host", "db.local");
    assertThat(db.secretMap()).containsEntry("username", "app").containsEntry("port", "5432");
    assertThat(db.value().toString()).doesNotContain("pw").doesNotContain("app");
    assertThatThrownBy(() -> SecretValue.ofUsernamePassword("a", "b", Map.of("password", "c")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
