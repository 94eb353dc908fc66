package io.github.rotate4j.vault;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * The Vault provider's test servers (OpenBao dev server and a throwaway PostgreSQL cluster, both on
 * free loopback ports), opened up for the Spring Boot starter's integration tests.
 */
public final class LocalServers implements AutoCloseable {

  private final DevServers.Servers servers;

  private LocalServers(DevServers.Servers servers) {
    this.servers = servers;
  }

  /** Starts both servers; a missing binary fails with an install hint. */
  public static LocalServers start() throws Exception {
    return new LocalServers(new DevServers.Servers());
  }

  public String vaultAddress() {
    return servers.bao.address();
  }

  public String rootToken() {
    return servers.bao.rootToken();
  }

  public String jdbcUrl() {
    return servers.pg.jdbcUrl();
  }

  /** A superuser connection to PostgreSQL. */
  public Connection superuser() throws SQLException {
    return servers.pg.connect(PostgresCluster.SUPERUSER, servers.pg.superuserPassword());
  }

  /** Writes to Vault's HTTP API as root. */
  public void write(String path, String json) {
    servers.bao.write(path, json);
  }

  /** Reads Vault's HTTP API as root; returns the JSON body. */
  public String read(String path) {
    return servers.bao.read(path).toString();
  }

  public void delete(String path) {
    servers.bao.api("DELETE", path, null);
  }

  /** Freezes OpenBao (SIGSTOP). */
  public void freezeVault() throws Exception {
    servers.bao.pause();
  }

  /** Thaws OpenBao (SIGCONT). */
  public void thawVault() throws Exception {
    servers.bao.resume();
  }

  /**
   * Mounts a database secrets engine on the test PostgreSQL.
   *
   * @return the mount path
   */
  public String mountDatabase() {
    String mount = "db-" + UUID.randomUUID().toString().substring(0, 8);
    write("sys/mounts/" + mount, "{\"type\":\"database\"}");
    write(mount + "/config/pg", "{"
        + "\"plugin_name\":\"postgresql-database-plugin\","
        + "\"connection_url\":\"" + servers.pg.vaultConnectionUrl() + "\","
        + "\"username\":\"" + PostgresCluster.SUPERUSER + "\","
        + "\"password\":\"" + servers.pg.superuserPassword() + "\","
        + "\"allowed_roles\":\"*\","
        + "\"verify_connection\":true}");
    return mount;
  }

  /** Writes a dynamic role with the given creation and revocation statements. */
  public void dynamicRole(String mount, String role, String defaultTtl, String maxTtl,
      List<String> creation, List<String> revocation) {
    write(mount + "/roles/" + role, "{"
        + "\"db_name\":\"pg\","
        + "\"creation_statements\":" + jsonArray(creation) + ","
        + "\"revocation_statements\":" + jsonArray(revocation) + ","
        + "\"default_ttl\":\"" + defaultTtl + "\","
        + "\"max_ttl\":\"" + maxTtl + "\"}");
  }

  /**
   * Creates a PostgreSQL login role and a static role over it that OpenBao rotates every
   * {@code rotationPeriod} (it sets a password of its own at once).
   */
  public void staticRole(String mount, String role, String username, String rotationPeriod) throws SQLException {
    try (Connection c = superuser(); java.sql.Statement s = c.createStatement()) {
      s.execute("CREATE ROLE \"" + username + "\" WITH LOGIN PASSWORD 'before-vault-" + UUID.randomUUID() + "'");
    }
    write(mount + "/static-roles/" + role, "{\"db_name\":\"pg\",\"username\":\"" + username + "\","
        + "\"rotation_period\":\"" + rotationPeriod + "\"}");
  }

  private static String jsonArray(List<String> items) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append('"').append(items.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return sb.append(']').toString();
  }

  @Override
  public void close() {
    servers.close();
  }
}
