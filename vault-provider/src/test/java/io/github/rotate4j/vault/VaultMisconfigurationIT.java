package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.spi.FetchContext;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a misconfigured session or provider says, against a real OpenBao server. */
@ExtendWith(DevServers.class)
class VaultMisconfigurationIT {

  final OpenBaoDevServer bao;

  VaultMisconfigurationIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  @Test
  void wrongToken_saysTheTokenIsInvalidOrExpired_withoutShowingIt() {
    String wrong = "s.not-a-token-" + UUID.randomUUID();
    BackendException e = fetchKv(bao.address(), wrong);

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e).hasMessageContaining("Vault rejected the token")
        .hasMessageContaining("invalid, expired or revoked")
        .hasMessageContaining("auth/token/lookup-self")
        .hasMessageNotContaining(wrong);
  }

  @Test
  void revokedToken_saysTheTokenIsInvalidOrExpired() {
    String token = bao.write("auth/token/create", "{\"ttl\":\"5m\"}").get("auth").asObject().getString("client_token", null);
    bao.write("auth/token/revoke", "{\"token\":\"" + token + "\"}");

    BackendException e = fetchKv(bao.address(), token);

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e).hasMessageContaining("invalid, expired or revoked").hasMessageNotContaining(token);
  }

  @Test
  void appRoleWithAWrongSecretId_saysWhatVaultSaid_withoutShowingIt() {
    String mount = "approle-" + UUID.randomUUID().toString().substring(0, 8);
    bao.write("sys/auth/" + mount, "{\"type\":\"approle\"}");
    bao.write("auth/" + mount + "/role/app", "{\"token_ttl\":\"1m\"}");
    String roleId = bao.read("auth/" + mount + "/role/app/role-id").get("data").asObject().getString("role_id", null);
    String wrong = "wrong-secret-id-" + UUID.randomUUID();
    try (VaultSession session = VaultSession.builder().address(bao.address())
        .auth(VaultAuth.appRole(roleId, wrong).atMount(mount)).build()) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> VaultKvProvider.of(session, "secret", "it/misconfigured").fetch(FetchContext.startup("api-key")));

      assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(e).hasMessageContaining("auth/" + mount + "/login").hasMessageContaining("HTTP 400")
          .hasMessageContaining("invalid role or secret ID").hasMessageNotContaining(wrong);
    }
  }

  @Test
  void httpsAgainstAPlainHttpListener_isAPermanentTlsFailure_notRetried() {
    URI plain = URI.create(bao.address());
    String https = "https://" + plain.getHost() + ":" + plain.getPort();

    BackendException e = fetchKv(https, bao.rootToken());

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e).hasMessageContaining("TLS handshake with " + https + " failed")
        .hasMessageContaining("the server answers plain HTTP, not TLS")
        .hasMessageNotContaining(bao.rootToken());
  }

  @Test
  void leaseProviderOnAPathWithoutLease_hintsAtTheRightProvider() {
    String mount = "kv1-" + UUID.randomUUID().toString().substring(0, 8);
    bao.write("sys/mounts/" + mount, "{\"type\":\"kv\",\"options\":{\"version\":\"1\"}}");
    bao.write(mount + "/static-creds/app", "{\"username\":\"app\",\"password\":\"pw\"}");
    bao.write(mount + "/plain", "{\"api_key\":\"k\"}");
    try (VaultSession session = session(bao.address(), bao.rootToken())) {
      BackendException staticRole = catchThrowableOfType(BackendException.class,
          () -> VaultLeaseProvider.of(session, mount + "/static-creds/app").fetch(FetchContext.startup("db")));
      BackendException plainSecret = catchThrowableOfType(BackendException.class,
          () -> VaultLeaseProvider.of(session, mount + "/plain").fetch(FetchContext.startup("api")));

      assertThat(staticRole).hasMessageContaining("no lease").hasMessageContaining("VaultStaticRoleProvider")
          .hasMessageNotContaining("VaultKvProvider");
      assertThat(plainSecret).hasMessageContaining("no lease").hasMessageContaining("VaultKvProvider")
          .hasMessageNotContaining("VaultStaticRoleProvider");
    }
  }

  private static BackendException fetchKv(String address, String token) {
    try (VaultSession session = session(address, token)) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> VaultKvProvider.of(session, "secret", "it/misconfigured").fetch(FetchContext.startup("api-key")));
      assertThat(e).as("fetch should fail").isNotNull();
      return e;
    }
  }

  private static VaultSession session(String address, String token) {
    return VaultSession.builder().address(address).auth(VaultAuth.token(token)).build();
  }
}
