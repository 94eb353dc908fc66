package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.FetchContext;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(DevServers.class)
class VaultLeaseProviderIT {

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  VaultSession session;
  String mount;

  VaultLeaseProviderIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp() {
    mount = DatabaseEngine.configure(bao, pg, "10s", "30s");
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
  }

  @AfterEach
  void tearDown() {
    session.close();
    bao.api("DELETE", "sys/mounts/" + mount, null);
  }

  @Test
  void fetch_issuesWorkingDatabaseLogin() throws Exception {
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");

    Credential c = provider.fetch(FetchContext.startup("orders-db")).current();

    assertThat(c.value()).isInstanceOf(SecretValue.UsernamePassword.class);
    assertThat(c.leaseId()).hasValueSatisfying(id -> assertThat(id).startsWith(mount + "/creds/app/"));
    assertThat(c.version()).isEqualTo(c.leaseId().orElseThrow());
    assertThat(c.renewable()).isTrue();
    assertThat(Duration.between(c.issuedAt(), c.expiresAt().orElseThrow())).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(10));
    assertThat(c.toString()).doesNotContain(c.usernamePassword().password());
    try (Connection conn = pg.connect(c.usernamePassword().username(), c.usernamePassword().password());
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("select current_user")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo(c.usernamePassword().username());
    }
    provider.revoke(c);
  }

  @Test
  void renew_extendsTheLease() throws Exception {
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");
    Credential c = provider.fetch(FetchContext.startup("orders-db")).current();
    Thread.sleep(2_000);

    Credential renewed = provider.renew(c, FetchContext.startup("orders-db"));

    assertThat(renewed.expiresAt().orElseThrow()).isAfter(c.expiresAt().orElseThrow().plusSeconds(1));
    assertThat(renewed.version()).isEqualTo(c.version());
    assertThat(renewed.usernamePassword()).isEqualTo(c.usernamePassword());
    JsonLease lease = JsonLease.lookup(bao, c.leaseId().orElseThrow());
    assertThat(lease.ttlSeconds()).isGreaterThan(8);
    provider.revoke(renewed);
  }

  @Test
  void revoke_dropsTheDatabaseRole() throws Exception {
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");
    Credential c = provider.fetch(FetchContext.startup("orders-db")).current();
    String user = c.usernamePassword().username();
    assertThat(pg.roles()).contains(user);

    provider.revoke(c);

    assertThat(pg.roles()).doesNotContain(user);
    assertThat(provider.trackedLeases()).isZero();
  }

  /** The remaining TTL of a lease, as Vault sees it. */
  record JsonLease(long ttlSeconds) {
    static JsonLease lookup(OpenBaoDevServer bao, String leaseId) {
      return new JsonLease(bao.api("PUT", "sys/leases/lookup", "{\"lease_id\":\"" + leaseId + "\"}")
          .get("data").asObject().getLong("ttl", -1));
    }
  }

  static String unique() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
