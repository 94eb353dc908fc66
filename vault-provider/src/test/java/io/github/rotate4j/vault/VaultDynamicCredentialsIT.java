package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jopenlibs.vault.json.Json;
import io.github.rotate4j.Credential;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRenewed;
import io.github.rotate4j.event.CredentialRotated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Dynamic PostgreSQL credentials end to end: Vault issues, the engine renews and replaces, PostgreSQL checks. */
@ExtendWith(DevServers.class)
class VaultDynamicCredentialsIT {

  private static final Logger LOG = LoggerFactory.getLogger(VaultDynamicCredentialsIT.class);

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  String dbMount;

  VaultDynamicCredentialsIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp() {
    dbMount = DatabaseEngine.configure(bao, pg, "10s", "30s");
  }

  @AfterEach
  void tearDown() {
    bao.api("DELETE", "sys/mounts/" + dbMount, null);
  }

  @Test
  void databaseLogins_neverFailWhileLeasesAreRenewedAndReplaced() throws Exception {
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build()) {
      runLoginLoop(session);
    }
  }

  /**
   * The same with an AppRole token of 10 s (max 30 s): the session replaces its token about every
   * 27 s, and each lease, which would die with the token that created it, is replaced in time.
   */
  @Test
  void databaseLogins_neverFail_whenTheCreatingTokenIsReplacedToo(@TempDir Path dir) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String policy = "path \"" + dbMount + "/creds/app\" { capabilities = [\"read\"] }\n"
        + "path \"sys/leases/renew\" { capabilities = [\"update\"] }\n"
        + "path \"sys/leases/revoke\" { capabilities = [\"update\"] }\n";
    bao.api("PUT", "sys/policies/acl/db-" + id, Json.object().add("policy", policy).toString());
    String mount = "approle-" + id;
    bao.write("sys/auth/" + mount, "{\"type\":\"approle\"}");
    try {
      bao.write("auth/" + mount + "/role/app", "{\"token_ttl\":\"10s\",\"token_max_ttl\":\"30s\",\"token_policies\":[\"db-" + id + "\"]}");
      String roleId = bao.read("auth/" + mount + "/role/app/role-id").get("data").asObject().getString("role_id", null);
      Path secretId = dir.resolve("secret-id");
      Files.writeString(secretId, bao.write("auth/" + mount + "/role/app/secret-id", "{}").get("data").asObject().getString("secret_id", null));
      try (VaultSession session = VaultSession.builder().address(bao.address())
          .auth(VaultAuth.appRole(roleId, secretId).atMount(mount)).build()) {
        runLoginLoop(session);
        assertThat(session.logins()).isGreaterThanOrEqualTo(3);
      }
    } finally {
      bao.api("DELETE", "sys/auth/" + mount, null);
    }
  }

  private void runLoginLoop(VaultSession session) throws Exception {
    List<String> rotations = new CopyOnWriteArrayList<>();
    AtomicInteger renewals = new AtomicInteger();
    Set<String> usersSeen = new LinkedHashSet<>();
    List<String> failedLogins = new ArrayList<>();
    int logins = 0;
    RotatingCredential db = RotatingCredential.builder("orders-db", VaultLeaseProvider.of(session, dbMount + "/creds/app"))
        .refreshPolicy(RefreshPolicy.custom()
            .attemptTimeout(Duration.ofSeconds(3))
            .recoveryInterval(Duration.ofSeconds(1))
            .build())
        .listener(new CredentialListener() {
          @Override
          public void onRotated(CredentialRotated e) {
            rotations.add(e.previousVersion() + " -> " + e.newVersion());
          }

          @Override
          public void onRenewed(CredentialRenewed e) {
            renewals.incrementAndGet();
          }
        })
        .build();
    try {
      db.start();
      Instant end = Instant.now().plusSeconds(72);
      while (Instant.now().isBefore(end)) {
        Credential c = db.get();
        SecretValue.UsernamePassword up = c.usernamePassword();
        usersSeen.add(up.username());
        try (Connection conn = pg.connect(up.username(), up.password());
            Statement s = conn.createStatement();
            ResultSet rs = s.executeQuery("select current_user")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo(up.username());
          logins++;
        } catch (SQLException e) {
          LOG.error("login as {} (lease {}, expires {}) failed: {}", up.username(), c.version(), c.expiresAt(), e.getMessage());
          failedLogins.add(Instant.now() + " " + up.username() + ": " + e.getMessage());
        }
        Thread.sleep(200);
      }
    } finally {
      db.close();
    }
    LOG.info("{} logins, {} renewals, rotations: {}", logins, renewals.get(), rotations);

    assertThat(failedLogins).isEmpty();
    // logins went on through every renewal and replacement (about 250 on an idle machine; a loaded
    // CI machine makes each SCRAM login slower, so the bound is what the test needs, not a speed)
    assertThat(logins).isGreaterThan(100);
    assertThat(rotations).hasSizeGreaterThanOrEqualTo(2);
    assertThat(usersSeen).hasSizeGreaterThanOrEqualTo(3);
    // revoked on close, or dropped by Vault when they expired: none is left behind
    // the current lease is revoked by close(); the replaced ones were served to their end, and OpenBao's
    // expiration manager drops their roles asynchronously after they expire (seconds late on a loaded machine)
    Set<String> left = awaitGone(usersSeen, Duration.ofSeconds(20));
    assertThat(left).as("database roles still present after close").isEmpty();
  }

  private Set<String> awaitGone(Set<String> users, Duration within) throws Exception {
    Instant deadline = Instant.now().plus(within);
    while (true) {
      Set<String> left = new LinkedHashSet<>(users);
      left.retainAll(pg.roles());
      if (left.isEmpty() || Instant.now().isAfter(deadline)) {
        return left;
      }
      Thread.sleep(100);
    }
  }
}
