package io.github.rotate4j.vault;

import java.util.UUID;

/** Mounts a database secrets engine against the test PostgreSQL, with one role {@code app}. */
final class DatabaseEngine {
  private DatabaseEngine() {}

  /** @return the mount path */
  static String configure(OpenBaoDevServer bao, PostgresCluster pg, String defaultTtl, String maxTtl) {
    String mount = "db-" + UUID.randomUUID().toString().substring(0, 8);
    bao.write("sys/mounts/" + mount, "{\"type\":\"database\"}");
    bao.write(mount + "/config/pg", "{"
        + "\"plugin_name\":\"postgresql-database-plugin\","
        + "\"connection_url\":\"" + pg.vaultConnectionUrl() + "\","
        + "\"username\":\"" + PostgresCluster.SUPERUSER + "\","
        + "\"password\":\"" + pg.superuserPassword() + "\","
        + "\"allowed_roles\":\"*\","
        + "\"verify_connection\":true}");
    bao.write(mount + "/roles/app", "{"
        + "\"db_name\":\"pg\","
        + "\"creation_statements\":[\"CREATE ROLE \\\"{{name}}\\\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';\"],"
        + "\"default_ttl\":\"" + defaultTtl + "\","
        + "\"max_ttl\":\"" + maxTtl + "\"}");
    return mount;
  }
}
