package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.jopenlibs.vault.json.Json;
import io.github.rotate4j.Credential;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The lease's max TTL read from a real database role and mount, and a policy that forbids reading them. */
@ExtendWith(DevServers.class)
class VaultLeaseMaxTtlIT {

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  String mount;
  VaultSession session;

  VaultLeaseMaxTtlIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @AfterEach
  void tearDown() {
    if (session != null) {
      session.close();
    }
    if (mount != null) {
      bao.api("DELETE", "sys/mounts/" + mount, null);
    }
  }

  private VaultSession rootSession() {
    return VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
  }

  @Test
  void roleWithMaxTtl_announcesIssuePlusMaxTtl() {
    mount = DatabaseEngine.configure(bao, pg, "10s", "30s");
    session = rootSession();
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

    Credential c = r.current();
    assertThat(Duration.between(c.issuedAt(), c.expiresAt().orElseThrow())).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(10));
    assertThat(r.maxLeaseEnd()).hasValueSatisfying(end ->
        assertThat(end).isCloseTo(c.issuedAt().plusSeconds(30), within(1, ChronoUnit.SECONDS)));
    provider.revoke(c);
  }

  @Test
  void roleWithoutMaxTtl_announcesTheMountsMaxLeaseTtl() {
    mount = DatabaseEngine.configure(bao, pg, "10s", "0");
    bao.write("sys/mounts/" + mount + "/tune", "{\"max_lease_ttl\":\"45s\"}");
    session = rootSession();
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

    assertThat(r.maxLeaseEnd()).hasValueSatisfying(end ->
        assertThat(end).isCloseTo(r.current().issuedAt().plusSeconds(45), within(1, ChronoUnit.SECONDS)));
    provider.revoke(r.current());
  }

  @Test
  void policyWithoutReadOnTheRole_fetchStillIssuesAWorkingLogin_withoutMaxLeaseEnd() throws Exception {
    mount = DatabaseEngine.configure(bao, pg, "10s", "30s");
    String policyName = "creds-only-" + UUID.randomUUID().toString().substring(0, 8);
    String policy = "path \"" + mount + "/creds/app\" { capabilities = [\"read\"] }\n"
        + "path \"sys/leases/renew\" { capabilities = [\"update\"] }\n"
        + "path \"sys/leases/revoke\" { capabilities = [\"update\"] }\n";
    bao.api("PUT", "sys/policies/acl/" + policyName, Json.object().add("policy", policy).toString());
    String token = bao.write("auth/token/create", "{\"policies\":[\"" + policyName + "\"],\"ttl\":\"1h\"}")
        .get("auth").asObject().getString("client_token", null);
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(token)).build();
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");
    Instant before = Instant.now();

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

    assertThat(r.maxLeaseEnd()).isEmpty();
    Credential c = r.current();
    assertThat(c.expiresAt()).hasValueSatisfying(end -> assertThat(end).isAfter(before.plusSeconds(8)));
    try (Connection conn = pg.connect(c.usernamePassword().username(), c.usernamePassword().password());
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("select current_user")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo(c.usernamePassword().username());
    }
    provider.revoke(c);
  }

  @Test
  void policyWithReadOnTheRoleOnly_announcesTheRolesMaxTtl() {
    mount = DatabaseEngine.configure(bao, pg, "10s", "30s");
    String policyName = "creds-role-" + UUID.randomUUID().toString().substring(0, 8);
    String policy = "path \"" + mount + "/creds/app\" { capabilities = [\"read\"] }\n"
        + "path \"" + mount + "/roles/app\" { capabilities = [\"read\"] }\n"
        + "path \"sys/leases/revoke\" { capabilities = [\"update\"] }\n";
    bao.api("PUT", "sys/policies/acl/" + policyName, Json.object().add("policy", policy).toString());
    String token = bao.write("auth/token/create", "{\"policies\":[\"" + policyName + "\"],\"ttl\":\"1h\"}")
        .get("auth").asObject().getString("client_token", null);
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(token)).build();
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, mount + "/creds/app");

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

    assertThat(r.maxLeaseEnd()).hasValueSatisfying(end ->
        assertThat(end).isCloseTo(r.current().issuedAt().plusSeconds(30), within(1, ChronoUnit.SECONDS)));
    provider.revoke(r.current());
  }
}
