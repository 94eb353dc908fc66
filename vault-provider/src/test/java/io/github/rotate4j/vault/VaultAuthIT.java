package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jopenlibs.vault.json.Json;
import io.github.rotate4j.Credential;
import io.github.rotate4j.spi.FetchContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Token lifecycle against a real server: renewals, re-logins at max TTL, token files, lease capping. */
@ExtendWith(DevServers.class)
class VaultAuthIT {

  private static final Logger LOG = LoggerFactory.getLogger(VaultAuthIT.class);

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  String approleMount;
  String dbMount;
  String kvPath;
  String roleId;
  Path secretIdFile;

  VaultAuthIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp(@TempDir Path dir) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    kvPath = "it/auth-" + id;
    bao.write("secret/data/" + kvPath, "{\"data\":{\"api_key\":\"k1\"}}");
    dbMount = DatabaseEngine.configure(bao, pg, "5m", "10m");
    String policy = "path \"secret/data/" + kvPath + "\" { capabilities = [\"read\"] }\n"
        + "path \"secret/metadata/" + kvPath + "\" { capabilities = [\"read\"] }\n"
        + "path \"" + dbMount + "/creds/app\" { capabilities = [\"read\"] }\n"
        + "path \"sys/leases/renew\" { capabilities = [\"update\"] }\n"
        + "path \"sys/leases/revoke\" { capabilities = [\"update\"] }\n";
    bao.api("PUT", "sys/policies/acl/app-" + id, Json.object().add("policy", policy).toString());
    approleMount = "approle-" + id;
    bao.write("sys/auth/" + approleMount, "{\"type\":\"approle\"}");
    bao.write("auth/" + approleMount + "/role/app",
        "{\"token_ttl\":\"10s\",\"token_max_ttl\":\"30s\",\"token_policies\":[\"app-" + id + "\"]}");
    roleId = bao.read("auth/" + approleMount + "/role/app/role-id").get("data").asObject().getString("role_id", null);
    String secretId = bao.write("auth/" + approleMount + "/role/app/secret-id", "{}")
        .get("data").asObject().getString("secret_id", null);
    secretIdFile = dir.resolve("secret-id");
    Files.writeString(secretIdFile, secretId + "\n");
  }

  @AfterEach
  void tearDown() {
    bao.api("DELETE", "sys/mounts/" + dbMount, null);
    bao.api("DELETE", "sys/auth/" + approleMount, null);
  }

  VaultSession appRoleSession() {
    return VaultSession.builder()
        .address(bao.address())
        .auth(VaultAuth.appRole(roleId, secretIdFile).atMount(approleMount))
        .requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void appRoleToken_isRenewedAndReplacedBeforeMaxTtl_withoutAnyFailedRequest() throws Exception {
    try (VaultSession session = appRoleSession()) {
      VaultKvProvider kv = VaultKvProvider.of(session, "secret", kvPath);
      VaultLeaseProvider db = VaultLeaseProvider.of(session, dbMount + "/creds/app");
      List<String> failures = new ArrayList<>();
      int requests = 0;
      Instant end = Instant.now().plusSeconds(70);
      Instant nextLease = Instant.now();
      while (Instant.now().isBefore(end)) {
        try {
          assertThat(kv.fetch(FetchContext.startup("api-key")).current().version()).isEqualTo("1");
          requests++;
          if (!Instant.now().isBefore(nextLease)) {
            Credential lease = db.fetch(FetchContext.startup("db")).current();
            assertThat(lease.expiresAt().orElseThrow()).isBeforeOrEqualTo(session.tokenExpiresAt().orElseThrow());
            db.renew(lease, FetchContext.startup("db"));
            db.revoke(lease);
            requests += 3;
            nextLease = Instant.now().plusSeconds(4);
          }
        } catch (RuntimeException e) {
          LOG.error("request failed", e);
          failures.add(Instant.now() + " " + e.getMessage());
        }
        Thread.sleep(200);
      }

      assertThat(failures).isEmpty();
      assertThat(requests).isGreaterThan(200);
      // 10 s tokens capped at 30 s: first login plus at least two replacements in 70 s
      assertThat(session.logins()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void leaseExpiry_isCappedAtTheEndOfItsToken() {
    try (VaultSession session = appRoleSession()) {
      VaultLeaseProvider db = VaultLeaseProvider.of(session, dbMount + "/creds/app");

      Credential lease = db.fetch(FetchContext.startup("db")).current();

      // the role grants 5 minutes, but the token that created the lease dies within 10 s
      Instant tokenEnd = session.tokenExpiresAt().orElseThrow();
      assertThat(lease.expiresAt().orElseThrow()).isBeforeOrEqualTo(tokenEnd);
      assertThat(Duration.between(lease.issuedAt(), lease.expiresAt().orElseThrow())).isLessThanOrEqualTo(Duration.ofSeconds(10));
      db.revoke(lease);
    }
  }

  @Test
  void tokenFile_isReadAgainWhenItChanges(@TempDir Path dir) throws Exception {
    String policyName = "tokenfile-" + UUID.randomUUID().toString().substring(0, 8);
    bao.api("PUT", "sys/policies/acl/" + policyName, Json.object().add("policy",
        "path \"secret/data/" + kvPath + "\" { capabilities = [\"read\"] }\n"
            + "path \"secret/metadata/" + kvPath + "\" { capabilities = [\"read\"] }\n").toString());
    String first = createToken(policyName);
    Path sink = dir.resolve("agent-token");
    Files.writeString(sink, first);
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.tokenFile(sink)).build()) {
      VaultKvProvider kv = VaultKvProvider.of(session, "secret", kvPath);
      assertThat(kv.fetch(FetchContext.startup("api-key")).current().version()).isEqualTo("1");

      String second = createToken(policyName);
      Files.writeString(sink, second + "\n");
      Files.setLastModifiedTime(sink, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5)));
      bao.write("auth/token/revoke", Json.object().add("token", first).toString());

      assertThat(kv.fetch(FetchContext.startup("api-key")).current().version()).isEqualTo("1");
      assertThat(session.logins()).isEqualTo(2);
      assertThat(session.toString()).doesNotContain(first).doesNotContain(second);
    }
  }

  private String createToken(String policy) {
    return bao.write("auth/token/create", "{\"policies\":[\"" + policy + "\"],\"ttl\":\"1h\"}")
        .get("auth").asObject().getString("client_token", null);
  }
}
