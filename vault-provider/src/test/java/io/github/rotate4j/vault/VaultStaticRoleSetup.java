package io.github.rotate4j.vault;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.UUID;

/**
 * A database secrets engine with one static role over a real PostgreSQL user, rotated by OpenBao
 * every {@code rotationPeriodSeconds}; removed again on close.
 */
final class VaultStaticRoleSetup implements AutoCloseable {

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  final String mount;
  final String role = "orders";
  final String username;

  VaultStaticRoleSetup(OpenBaoDevServer bao, PostgresCluster pg, int rotationPeriodSeconds) throws SQLException {
    this.bao = bao;
    this.pg = pg;
    this.mount = DatabaseEngine.configure(bao, pg, "10s", "30s");
    this.username = "static_" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = pg.connect(PostgresCluster.SUPERUSER, pg.superuserPassword());
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE \"" + username + "\" WITH LOGIN PASSWORD 'before-vault-" + UUID.randomUUID() + "'");
    }
    // OpenBao sets a password of its own at once, then every rotation period
    bao.write(mount + "/static-roles/" + role, "{\"db_name\":\"pg\",\"username\":\"" + username + "\","
        + "\"rotation_period\":\"" + rotationPeriodSeconds + "s\"}");
  }

  String credsPath() {
    return mount + "/static-creds/" + role;
  }

  /** What OpenBao reports as the last rotation right now. */
  Instant lastVaultRotation() {
    return Instant.parse(bao.read(credsPath()).get("data").asObject().get("last_vault_rotation").asString());
  }

  /** Whether {@code password} logs {@link #username} in to PostgreSQL now. */
  boolean logsIn(String password) {
    try (Connection c = pg.connect(username, password)) {
      return c.isValid(2);
    } catch (SQLException e) {
      if (!"28P01".equals(e.getSQLState())) {
        throw new IllegalStateException("login failed other than by a wrong password: " + e.getSQLState(), e);
      }
      return false;
    }
  }

  @Override
  public void close() {
    bao.api("DELETE", mount + "/static-roles/" + role, null);
    bao.api("DELETE", "sys/mounts/" + mount, null);
  }
}
