package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plain JDBC across real rotations: threads open a connection with {@code get()} continuously
 * while OpenBao rotates the PostgreSQL user's password every 5 s. A refused login reports the
 * credential as rejected and retries once with the refreshed one; no login may fail after that.
 */
@ExtendWith(DevServers.class)
class VaultStaticRoleLoginsIT {

  static final int PERIOD_SECONDS = 5;
  static final int THREADS = 4;
  static final int RUN_SECONDS = 6 * PERIOD_SECONDS + 2; // about six rotations; at least three must be seen, even on a loaded machine

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  VaultStaticRoleSetup role;
  VaultSession session;

  final AtomicLong attempts = new AtomicLong();
  final AtomicLong refusedFirst = new AtomicLong();
  final AtomicLong refusedAfterRetry = new AtomicLong();

  VaultStaticRoleLoginsIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp() throws Exception {
    role = new VaultStaticRoleSetup(bao, pg, PERIOD_SECONDS);
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
  }

  @AfterEach
  void tearDown() {
    session.close();
    role.close();
  }

  @Test
  void jdbcLogins_acrossRotations_noneFailsAfterReportRejectedAndOneRetry() throws Exception {
    try (RotatingCredential c = RotatingCredential.builder("orders-db",
            VaultStaticRoleProvider.builder(session, role.credsPath()).build())
        .build().start()) {
      long rotationsBefore = c.status().rotations();
      Instant end = Instant.now().plusSeconds(RUN_SECONDS);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
          workers.add(pool.submit(() -> {
            while (Instant.now().isBefore(end)) {
              loginOnce(c);
              Thread.sleep(20);
            }
            return null;
          }));
        }
        for (Future<?> w : workers) {
          w.get(RUN_SECONDS + 60L, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      long rotations = c.status().rotations() - rotationsBefore;
      System.out.printf("static role, plain JDBC: %d logins from %d threads over %d s and %d rotations; "
          + "refused at first try: %d; refused after reportRejected and one retry: %d%n",
          attempts.get(), THREADS, RUN_SECONDS, rotations, refusedFirst.get(), refusedAfterRetry.get());

      assertThat(rotations).as("rotations during the run").isGreaterThanOrEqualTo(3);
      assertThat(attempts.get()).isGreaterThan(100);
      assertThat(refusedAfterRetry.get()).as("logins refused after the retry").isZero();
    }
  }

  private void loginOnce(RotatingCredential c) throws Exception {
    attempts.incrementAndGet();
    Credential served = c.get();
    if (query(served.usernamePassword())) {
      return;
    }
    refusedFirst.incrementAndGet();
    Credential refreshed = c.reportRejected(served).get(10, TimeUnit.SECONDS);
    if (!query(refreshed.usernamePassword())) {
      refusedAfterRetry.incrementAndGet();
    }
  }

  /** Logs in and runs a query; false when PostgreSQL refuses the password (SQLState 28P01). */
  private boolean query(SecretValue.UsernamePassword up) throws SQLException {
    try (Connection conn = pg.connect(up.username(), up.password());
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("select current_user")) {
      assertThat(rs.next()).isTrue();
      return true;
    } catch (SQLException e) {
      if ("28P01".equals(e.getSQLState())) {
        return false;
      }
      throw e;
    }
  }
}
