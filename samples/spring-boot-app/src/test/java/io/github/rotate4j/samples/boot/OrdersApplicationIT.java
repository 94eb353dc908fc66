package io.github.rotate4j.samples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.vault.LocalServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The sample as its README runs it, against a real OpenBao and PostgreSQL. */
class OrdersApplicationIT {

  static LocalServers servers;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startServers() throws Exception {
    servers = LocalServers.start();
  }

  @AfterAll
  static void stopServers() {
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  void queriesWithDynamicCredentials_callsThePartnerWithTheRotatingKey_andReportsBoth() throws Exception {
    String mount = servers.mountDatabase();
    servers.dynamicRole(mount, "orders", "1m", "3m",
        List.of("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"),
        List.of("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
            "DROP ROLE IF EXISTS \"{{name}}\";"));
    servers.write("secret/data/partner/api-key", "{\"data\":{\"key\":\"key-one\"}}");
    SpringApplication app = new SpringApplication(OrdersApplication.class);
    try (ConfigurableApplicationContext ctx = app.run(
        "--server.port=0",
        "--spring.datasource.url=" + servers.jdbcUrl(),
        "--rotate4j.vault.address=" + servers.vaultAddress(),
        "--rotate4j.vault.auth.token=" + servers.rootToken(),
        "--rotate4j.credentials.orders-db.path=" + mount + "/creds/orders",
        // the test rotates the key by hand and refreshes each credential itself: no poll in between
        "--rotate4j.credentials.partner-api-key.refresh.interval=1h",
        "--rotate4j.credentials.partner-keys.refresh.interval=1h")) {
      String port = ctx.getEnvironment().getRequiredProperty("local.server.port");

      assertThat(get(port, "/orders/whoami").body()).contains("\"db_user\":\"v-");
      assertThat(get(port, "/quote").body()).contains("\"keyVersion\":\"1\"").contains("\"slot\":\"CURRENT\"");

      // a new key: the partner (refreshed first) still accepts the previous one during its grace window
      servers.write("secret/data/partner/api-key", "{\"data\":{\"key\":\"key-two\"}}");
      ctx.getBean("partner-keys", RotatingCredential.class).refreshNow().join();
      assertThat(get(port, "/quote").body()).contains("\"keyVersion\":\"1\"").contains("\"slot\":\"PREVIOUS\"");
      ctx.getBean("partner-api-key", RotatingCredential.class).refreshNow().join();
      assertThat(get(port, "/quote").body()).contains("\"keyVersion\":\"2\"").contains("\"slot\":\"CURRENT\"");

      HttpResponse<String> health = get(port, "/actuator/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"orders-db\"").contains("\"partner-api-key\"");
      assertThat(get(port, "/actuator/prometheus").body())
          .contains("rotate4j_keyring_match_total{backend=\"vault@" + servers.vaultAddress()
              + "\",credential=\"partner-keys\",slot=\"previous\"} 1.0")
          .contains("rotate4j_rotations_total{backend=\"vault@" + servers.vaultAddress()
              + "\",credential=\"partner-api-key\"} 1.0");
    }
  }

  static HttpResponse<String> get(String port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
