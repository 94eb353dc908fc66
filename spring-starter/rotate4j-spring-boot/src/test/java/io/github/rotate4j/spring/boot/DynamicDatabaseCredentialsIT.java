package io.github.rotate4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.vault.LocalServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A real Spring Boot application (web, actuator, JDBC) against a real OpenBao and a real
 * PostgreSQL: Boot's HikariCP pool logs in with dynamic database credentials that are replaced every
 * few seconds, while queries run from 4 threads.
 */
class DynamicDatabaseCredentialsIT {

  private static final Logger LOG = LoggerFactory.getLogger(DynamicDatabaseCredentialsIT.class);

  /**
   * Revocation ends the role's open sessions before dropping the role: PostgreSQL keeps the sessions
   * of a dropped role alive.
   */
  static final List<String> REVOCATION = List.of(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
      "DROP ROLE IF EXISTS \"{{name}}\";");
  static final List<String> CREATION = List.of(
      "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';");

  static LocalServers servers;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {}

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

  private ConfigurableApplicationContext start(String mount, String... extra) {
    List<String> props = new ArrayList<>(List.of(
        "server.port=0",
        "spring.datasource.url=" + servers.jdbcUrl(),
        "spring.datasource.hikari.maximum-pool-size=4",
        "spring.datasource.hikari.connection-timeout=5000",
        "management.endpoints.web.exposure.include=health,prometheus",
        "management.endpoint.health.show-details=always",
        "rotate4j.vault.address=" + servers.vaultAddress(),
        "rotate4j.vault.auth.token=" + servers.rootToken(),
        "rotate4j.credentials.orders-db.source=vault-lease",
        "rotate4j.credentials.orders-db.path=" + mount + "/creds/app",
        "rotate4j.datasource.credential=orders-db"));
    props.addAll(List.of(extra));
    return new SpringApplicationBuilder(App.class)
        .web(WebApplicationType.SERVLET)
        .properties(props.toArray(String[]::new))
        .run();
  }

  @Test
  void poolFollowsDynamicCredentials_zeroFailedQueries_noSessionOfARevokedRole() throws Exception {
    String mount = servers.mountDatabase();
    servers.dynamicRole(mount, "app", "10s", "30s", CREATION, REVOCATION);
    Duration run = Duration.ofSeconds(Long.getLong("rotate4j.e2e.seconds", 90));
    AtomicLong ok = new AtomicLong();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Set<String> users = ConcurrentHashMap.newKeySet();
    String currentUser;
    try (ConfigurableApplicationContext ctx = start(mount)) {
      DataSource dataSource = ctx.getBean(DataSource.class);
      assertThat(dataSource).isInstanceOf(HikariDataSource.class);
      JdbcTemplate jdbc = new JdbcTemplate(dataSource);
      RotatingCredential credential = ctx.getBean("orders-db", RotatingCredential.class);
      long rotationsBefore = credential.status().rotations();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        workers.add(pool.submit(() -> {
          while (!stop.get()) {
            try {
              users.add(jdbc.queryForObject("select current_user", String.class));
              ok.incrementAndGet();
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        }));
      }
      long end = System.nanoTime() + run.toNanos();
      while (System.nanoTime() < end) {
        TimeUnit.SECONDS.sleep(5);
        LOG.info("queries ok={} failed={} users={} rotations={}", ok.get(), failures.size(), users.size(),
            credential.status().rotations() - rotationsBefore);
      }
      stop.set(true);
      for (Future<?> w : workers) {
        w.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      long rotations = credential.status().rotations() - rotationsBefore;
      LOG.info("RESULT: {} queries over {} s from 4 threads, {} failed, {} credential replacements, {} database users",
          ok.get(), run.toSeconds(), failures.size(), rotations, users.size());
      failures.stream().limit(3).forEach(f -> LOG.error("failed query", f));
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isGreaterThan(1000);
      assertThat(rotations).isGreaterThanOrEqualTo(3);
      assertThat(users).hasSizeGreaterThanOrEqualTo(4);

      // idle connections of replaced credentials are evicted: only the current user stays connected
      // (read inside the wait: a replacement may come meanwhile, and then the pool follows it)
      java.util.concurrent.atomic.AtomicReference<String> lastUser = new java.util.concurrent.atomic.AtomicReference<>();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        lastUser.set(credential.get().usernamePassword().username());
        assertThat(vaultSessionUsers()).allMatch(u -> u.equals(lastUser.get()));
      });
      currentUser = lastUser.get();
      assertThat(sessionsOfDroppedRoles()).isZero();

      String prometheus = get(ctx, "/actuator/prometheus").body();
      assertThat(prometheus)
          .contains("rotate4j_rotations_total{backend=\"vault@" + servers.vaultAddress() + "\",credential=\"orders-db\"}")
          .contains("rotate4j_credential_state{backend=\"vault@" + servers.vaultAddress() + "\",credential=\"orders-db\",state=\"up\"} 1.0")
          .contains("hikaricp_connections");
    }
    // the pool closed before the credential, which then revoked its leases: no session, no role left
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(vaultSessionUsers()).isEmpty();
      assertThat(sessionsOfDroppedRoles()).isZero();
    });
    assertThat(roles()).doesNotContain(currentUser);
  }

  /** A Vault database static role: one PostgreSQL user whose password OpenBao changes every 15 s. */
  @Test
  void poolFollowsAStaticRoleRotatedEvery15s_zeroFailedQueries() throws Exception {
    String mount = servers.mountDatabase();
    String username = "orders_static_" + java.util.UUID.randomUUID().toString().substring(0, 8);
    servers.staticRole(mount, "orders", username, "15s");
    Duration run = Duration.ofSeconds(Long.getLong("rotate4j.e2e.seconds", 90));
    AtomicLong ok = new AtomicLong();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    try (ConfigurableApplicationContext ctx = start(mount,
        "rotate4j.credentials.orders-db.source=vault-static-role",
        "rotate4j.credentials.orders-db.mount=" + mount,
        "rotate4j.credentials.orders-db.path=orders")) {
      JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
      RotatingCredential credential = ctx.getBean("orders-db", RotatingCredential.class);
      long rotationsBefore = credential.status().rotations();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        workers.add(pool.submit(() -> {
          while (!stop.get()) {
            try {
              assertThat(jdbc.queryForObject("select current_user", String.class)).isEqualTo(username);
              ok.incrementAndGet();
            } catch (RuntimeException | AssertionError e) {
              failures.add(e);
            }
          }
        }));
      }
      long end = System.nanoTime() + run.toNanos();
      while (System.nanoTime() < end) {
        TimeUnit.SECONDS.sleep(5);
        LOG.info("static role: queries ok={} failed={} rotations={}", ok.get(), failures.size(),
            credential.status().rotations() - rotationsBefore);
      }
      stop.set(true);
      for (Future<?> w : workers) {
        w.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      long rotations = credential.status().rotations() - rotationsBefore;
      LOG.info("RESULT static role: {} queries over {} s from 4 threads, {} failed, {} password rotations",
          ok.get(), run.toSeconds(), failures.size(), rotations);
      failures.stream().limit(3).forEach(f -> LOG.error("failed query", f));
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isGreaterThan(1000);
      // every 15 s, or every 20 s when OpenBao's 5 s rotation tick misses a whole second and waits one more
      assertThat(rotations).isGreaterThanOrEqualTo(run.toSeconds() / 20 - 1);
    } finally {
      servers.delete(mount + "/static-roles/orders");
    }
  }

  @Test
  void frozenVault_healthGoesDownPastTheLeaseEnd_andUpAgainAfterThaw() throws Exception {
    String mount = servers.mountDatabase();
    servers.dynamicRole(mount, "app", "10s", "30s", CREATION, REVOCATION);
    try (ConfigurableApplicationContext ctx = start(mount,
        "rotate4j.vault.request-timeout=1s",
        "rotate4j.credentials.orders-db.refresh.attempt-timeout=2s",
        "rotate4j.credentials.orders-db.refresh.recovery-interval=1s",
        "rotate4j.credentials.orders-db.retry.max-attempts=2",
        "rotate4j.credentials.orders-db.retry.initial-backoff=200ms",
        "rotate4j.credentials.orders-db.circuit-breaker.wait-duration-in-open-state=2s")) {
      RotatingCredential credential = ctx.getBean("orders-db", RotatingCredential.class);
      assertThat(get(ctx, "/actuator/health").statusCode()).isEqualTo(200);
      String backend = "vault@" + servers.vaultAddress();
      String tags = "backend=\"" + backend + "\",credential=\"orders-db\"";

      servers.freezeVault();
      try {
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          HttpResponse<String> health = get(ctx, "/actuator/health");
          assertThat(health.statusCode()).isEqualTo(503);
          assertThat(health.body()).contains("\"rotate4j\"").contains("\"state\":\"DOWN\"");
        });
        String down = get(ctx, "/actuator/prometheus").body();
        assertThat(down)
            .contains("rotate4j_credential_state{" + tags + ",state=\"down\"} 1.0")
            .contains("rotate4j_credential_state{" + tags + ",state=\"up\"} 0.0");
        assertThat(metric(down, "rotate4j_refresh_total{" + tags + ",outcome=\"failure\"}")).isPositive();
        assertThat(metric(down, "rotate4j_refresh_consecutive_failures{" + tags + "}")).isPositive();
        assertThat(metric(down, "rotate4j_credential_expiry_remaining_seconds{" + tags + "}")).isNegative();
      } finally {
        servers.thawVault();
      }

      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        HttpResponse<String> health = get(ctx, "/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"state\":\"UP\"");
      });
      String up = get(ctx, "/actuator/prometheus").body();
      assertThat(up).contains("rotate4j_credential_state{" + tags + ",state=\"up\"} 1.0");
      assertThat(metric(up, "rotate4j_refresh_consecutive_failures{" + tags + "}")).isZero();
      assertThat(metric(up, "rotate4j_credential_expiry_remaining_seconds{" + tags + "}")).isPositive();
      JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
      // the pool evicts connections of the replaced lease on the rotation event, just after health is UP
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertThat(jdbc.queryForObject("select current_user", String.class))
              .isEqualTo(credential.get().usernamePassword().username()));
    }
  }

  static double metric(String exposition, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
    assertThat(m.find()).as("series %s in%n%s", series, exposition).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static HttpResponse<String> get(ConfigurableApplicationContext ctx, String path) throws Exception {
    String port = ctx.getEnvironment().getProperty("local.server.port");
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Users of the sessions opened with credentials from Vault (their names start with {@code v-}). */
  static Set<String> vaultSessionUsers() throws Exception {
    return query("select usename from pg_stat_activity where usename like 'v-%'");
  }

  static long sessionsOfDroppedRoles() throws Exception {
    return Long.parseLong(query("select count(*) from pg_stat_activity a where a.usename is not null "
        + "and not exists (select 1 from pg_roles r where r.rolname = a.usename)").iterator().next());
  }

  static Set<String> roles() throws Exception {
    return query("select rolname from pg_roles");
  }

  static Set<String> query(String sql) throws Exception {
    Set<String> out = new TreeSet<>();
    try (Connection c = servers.superuser(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

}
