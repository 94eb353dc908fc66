package io.github.rotate4j.spring.boot.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real HikariCP pool over a stub database: what the pool logs in with, and which connections it
 * keeps, across rotations. The pool's own threads create and close connections, so outcomes are
 * awaited (bounded polling), never slept for.
 */
class RotatingHikariCredentialsTest {

  private final ManualTime time = ManualTime.create();
  private final StubDatabase db = new StubDatabase();
  private final InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
      .clock(time.clock()).initialValue(SecretValue.ofUsernamePassword("app", "pw1")).build();
  private final RotatingCredential credential = RotatingCredential.builder("orders-db", backend)
      .clock(time.clock()).scheduler(time.scheduler())
      .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
      .build();
  private final HikariDataSource pool = new HikariDataSource();

  RotatingHikariCredentialsTest() {
    db.accepted.add("pw1");
    pool.setDataSource(db);
    pool.setPoolName("test-pool");
    pool.setMaximumPoolSize(2);
    pool.setMinimumIdle(2);
    pool.setConnectionTimeout(5_000);
    pool.setInitializationFailTimeout(-1);
    credential.start();
  }

  @AfterEach
  void close() {
    pool.close();
    credential.close();
  }

  private void rotateTo(String password) {
    db.accepted.add(password);
    backend.rotate(SecretValue.ofUsernamePassword("app", password));
    credential.refreshNow().join();
  }

  @Test
  void newConnections_logInWithTheCurrentCredential() throws Exception {
    RotatingHikariCredentials.bind(pool, credential);
    try (Connection c = pool.getConnection()) {
      assertThat(c).isNotNull();
    }
    assertThat(db.sessions).isNotEmpty().allMatch(s -> s.user.equals("app") && s.password.equals("pw1"));
    assertThat(pool.getCredentialsProvider()).isInstanceOf(RotatingHikariCredentials.class);
  }

  @Test
  void rotation_evictsTheOldConnections_andTheNewOnesUseTheNewCredential() throws Exception {
    RotatingHikariCredentials.bind(pool, credential);
    try (Connection c = pool.getConnection()) {
      assertThat(c).isNotNull();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> db.open("pw1").size() == 2);

    rotateTo("pw2");

    await().atMost(Duration.ofSeconds(10)).until(() -> db.open("pw1").isEmpty() && db.open("pw2").size() == 2);
  }

  @Test
  void busyConnection_isClosedWhenReturned_afterARotation() throws Exception {
    RotatingHikariCredentials.bind(pool, credential);
    Connection busy = pool.getConnection();
    rotateTo("pw2");
    assertThat(db.open("pw1")).as("a borrowed connection is not taken away").isNotEmpty();
    busy.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> db.open("pw1").isEmpty());
  }

  /** HikariCP #1836: a connection created with the old credential during the swap reaches the pool after the eviction. */
  @Test
  void connectionCreatedDuringTheSwap_isEvictedOnceItsLoginFinished() throws Exception {
    pool.setMinimumIdle(0);
    pool.setMaximumPoolSize(1);
    RotatingHikariCredentials.bind(pool, credential);
    db.holdLoginsWith("pw1");
    CompletableFuture<Connection> borrowed = CompletableFuture.supplyAsync(() -> {
      try {
        return pool.getConnection();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(db.awaitHeldLogin()).isTrue();

    rotateTo("pw2"); // publishes pw2 and soft-evicts while the pw1 login is still under way
    db.release();

    Connection c = borrowed.join();
    c.close(); // back to the pool: the second eviction must retire it
    await().atMost(Duration.ofSeconds(10)).until(() -> db.open("pw1").isEmpty());
    try (Connection next = pool.getConnection()) {
      assertThat(next).isNotNull();
    }
    assertThat(db.open("pw2")).hasSize(1);
  }

  @Test
  void refusedLogin_reportsTheCredentialAsRejected_andThePoolRecoversWithTheNewOne() throws Exception {
    RotatingHikariCredentials.bind(pool, credential);
    // the backend rotated and the database already refuses the old password, before our next refresh
    backend.rotate(SecretValue.ofUsernamePassword("app", "pw2"));
    db.accepted.clear();
    db.accepted.add("pw2");
    int fetches = backend.fetchCount();

    try (Connection c = pool.getConnection()) {
      assertThat(c).isNotNull();
    }
    assertThat(db.refusedPasswords).contains("pw1");
    assertThat(backend.fetchCount()).isGreaterThan(fetches);
    assertThat(credential.get().usernamePassword().password()).isEqualTo("pw2");
  }

  @Test
  void refusedLogins_refreshAtMostOncePerRateLimit() throws Exception {
    pool.setConnectionTimeout(1_000);
    RotatingHikariCredentials.bind(pool, credential);
    db.accepted.clear(); // the database refuses everything, the backend has nothing newer
    int fetches = backend.fetchCount();
    assertThatThrownBy(pool::getConnection).isInstanceOf(SQLException.class);
    assertThat(db.refusedPasswords.size()).isGreaterThan(1);
    // the manual clock does not move: one forced refresh, then the rate limit holds
    assertThat(backend.fetchCount() - fetches).isEqualTo(1);
  }

  @Test
  void otherSqlErrors_areNotRejections() {
    assertThat(RotatingHikariCredentials.isLoginFailure(new SQLException("x", "28000"))).isTrue();
    assertThat(RotatingHikariCredentials.isLoginFailure(new SQLException("x", "28P01"))).isTrue();
    assertThat(RotatingHikariCredentials.isLoginFailure(new SQLException("x", "08001"))).isFalse();
    assertThat(RotatingHikariCredentials.isLoginFailure(new RuntimeException(new SQLException("x", "28P01")))).isTrue();
  }

  @Test
  void bind_refusesAStartedPool() {
    pool.setConnectionTimeout(250);
    // the pool starts on the first getConnection (and fails: the stub wants a username); binding is too late now
    assertThatThrownBy(pool::getConnection).isInstanceOf(SQLException.class);
    assertThatThrownBy(() -> RotatingHikariCredentials.bind(pool, credential))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already started").hasMessageContaining("orders-db");
  }

  @Test
  void bind_refusesACredentialWithoutUsernameAndPassword() {
    try (RotatingCredential apiKey = RotatingCredential.builder("api-key",
            InMemoryCredentialProvider.builder().initialValue("k").build()).build().start()) {
      assertThatThrownBy(() -> RotatingHikariCredentials.bind(pool, apiKey))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("api-key").hasMessageNotContaining("'k'");
    }
  }
}
