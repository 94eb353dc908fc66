package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VaultSessionBuilderTest {

  @Test
  void fromEnvironment_understandsVaultAndBaoVariables_baoWins() {
    try (VaultSession vault = VaultSession.builder()
        .fromEnvironment(Map.of("VAULT_ADDR", "http://127.0.0.1:8200", "VAULT_TOKEN", "vault-token-1")::get).build();
        VaultSession bao = VaultSession.builder()
            .fromEnvironment(Map.of("BAO_ADDR", "https://bao.internal:8200/", "BAO_TOKEN", "bao-token-1",
                "VAULT_ADDR", "http://other:8200", "BAO_NAMESPACE", "team-a")::get).build()) {
      assertThat(vault.address()).isEqualTo("http://127.0.0.1:8200");
      assertThat(bao.address()).isEqualTo("https://bao.internal:8200");
      assertThat(bao.backendId()).isEqualTo("vault@https://bao.internal:8200#team-a");
      assertThat(vault.toString()).doesNotContain("vault-token-1");
      assertThat(bao.toString()).doesNotContain("bao-token-1");
    }
  }

  @Test
  void fromEnvironment_withoutAddress_saysWhichVariablesToSet() {
    assertThatThrownBy(() -> VaultSession.builder().fromEnvironment(Map.<String, String>of()::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BAO_ADDR").hasMessageContaining("VAULT_ADDR");
  }

  @Test
  void fromEnvironment_withoutToken_needsAuth() {
    assertThatThrownBy(() -> VaultSession.builder().fromEnvironment(Map.of("VAULT_ADDR", "http://127.0.0.1:8200")::get).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("auth must be set");
  }

  @Test
  void builder_validates() {
    assertThatThrownBy(() -> VaultSession.builder().address("ftp://x"))
        .hasMessage("address must be an http or https URL, but was 'ftp://x'");
    assertThatThrownBy(() -> VaultSession.builder().requestTimeout(Duration.ofSeconds(-3)))
        .hasMessage("requestTimeout must be greater than 0, but was PT-3S");
    assertThatThrownBy(() -> VaultSession.builder().tokenJitter(0.7))
        .hasMessage("tokenJitter must be between 0 and 0.5, but was 0.7");
    assertThatThrownBy(() -> VaultSession.builder().address("http://a").address("http://b"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> VaultSession.builder().address("https://a").auth(VaultAuth.token("t"))
        .skipTlsVerification().trustPem(Path.of("/ca.pem")).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void auth_toStringNeverShowsSecrets() {
    assertThat(VaultAuth.token("s.abcdef").toString()).doesNotContain("s.abcdef");
    assertThat(VaultAuth.appRole("role-7", "secret-id-9").atMount("approle-prod").toString())
        .contains("approle-prod").doesNotContain("secret-id-9").doesNotContain("role-7");
    assertThat(VaultAuth.jwt("ci", () -> "eyJjwt").toString()).doesNotContain("eyJjwt");
    assertThatThrownBy(() -> VaultAuth.token("t").atMount("x")).isInstanceOf(IllegalStateException.class);
    assertThat(new VaultAuth.Login("s.login-token", Duration.ofSeconds(5), true, null).toString()).doesNotContain("s.login-token");
  }

  @Test
  void token_unsetEnvironmentVariable_saysSo() {
    assertThatThrownBy(() -> VaultAuth.token(System.getenv("ROTATE4J_SURELY_UNSET_VARIABLE")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("token must not be null; if it is read from an environment variable such as VAULT_TOKEN, "
            + "that variable is not set");
    assertThatThrownBy(() -> VaultAuth.token("  "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("token must not be blank;");
  }
}
