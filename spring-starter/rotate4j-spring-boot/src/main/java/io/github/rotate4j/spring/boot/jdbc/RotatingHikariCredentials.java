package io.github.rotate4j.spring.boot.jdbc;

import com.zaxxer.hikari.HikariCredentialsProvider;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.util.Credentials;
import com.zaxxer.hikari.util.DriverDataSource;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialException;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a HikariCP 7 pool log in with a {@link RotatingCredential} and follow its rotations. This is
 * what {@code rotate4j.datasource.credential} does to Spring Boot's own pool; for a pool built by
 * hand it is one call, made before the pool starts (before its first {@code getConnection()}):
 *
 * <pre>{@code
 * HikariDataSource pool = new HikariDataSource();        // not new HikariDataSource(config): that starts the pool
 * pool.setJdbcUrl("jdbc:postgresql://db:5432/orders");
 * RotatingHikariCredentials.bind(pool, ordersDb);        // ordersDb: a RotatingCredential with username and password
 * ...
 * pool.close();                                          // on shutdown: the pool first,
 * ordersDb.close();                                      // then the credential (which revokes its lease)
 * }</pre>
 *
 * <p><b>What it does.</b> It sets itself as the pool's {@link HikariCredentialsProvider}: every new
 * connection logs in with the credential current at that moment, read from memory ({@link
 * RotatingCredential#get()}: no I/O, no lock). After every rotation, the new credential being already
 * published, it calls {@link HikariPoolMXBean#softEvictConnections()} (idle connections close now,
 * busy ones when they are returned), and once more after the connections that were being created
 * with the old credential during the swap are done: such a connection can reach the pool after the
 * first eviction (HikariCP #1836). A login the database refuses (SQLState {@code 28P01} or {@code
 * 28000}) is reported with {@link RotatingCredential#reportRejected}, which refreshes the credential
 * at most once per rejection rate limit, so a pool never hammers a locked account.
 *
 * <p>To see logins and their outcome, the pool's connections are made through a thin wrapper of the
 * pool's JDBC URL driver (or of the {@code DataSource} set on the pool); everything else about the
 * pool is unchanged, including its metrics.
 *
 * <p>Thread-safe. {@link #close()} stops reacting to rotations (the pool keeps logging in with the
 * credential until it is closed itself).
 */
public final class RotatingHikariCredentials implements HikariCredentialsProvider, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RotatingHikariCredentials.class);

  /** After a login with the old credential returned, the pool needs a moment to add the connection to its bag. */
  private static final Duration SETTLE = Duration.ofMillis(200);
  private static final List<String> LOGIN_FAILURE_STATES = List.of("28P01", "28000");

  private final HikariDataSource pool;
  private final RotatingCredential credential;
  private final ThreadLocal<Credential> handedOut = new ThreadLocal<>();
  private final AtomicBoolean evictionScheduled = new AtomicBoolean();
  private volatile Cached cached;
  private volatile boolean closed;
  private volatile String lastRefusedVersion;

  private record Cached(Credential credential, Credentials credentials) {}

  private RotatingHikariCredentials(HikariDataSource pool, RotatingCredential credential) {
    this.pool = pool;
    this.credential = credential;
  }

  /**
   * Makes {@code pool} log in with {@code credential} and soft-evict its connections after each
   * rotation. Call it once, before the pool starts.
   *
   * @return the binding; closing it stops the evictions
   * @throws IllegalStateException if the pool already started, already has a credentials provider,
   *     or has neither a JDBC URL nor a {@code DataSource} (a {@code dataSourceClassName} is not
   *     supported: set the {@code DataSource} instead)
   * @throws IllegalArgumentException if the credential's current value has no username and password
   */
  public static RotatingHikariCredentials bind(HikariDataSource pool, RotatingCredential credential) {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(credential, "credential");
    String name = pool.getPoolName() != null ? pool.getPoolName() : "HikariDataSource";
    if (pool.isRunning() || pool.getHikariPoolMXBean() != null) {
      throw new IllegalStateException("pool " + name + " has already started: bind credential '" + credential.name()
          + "' before the first getConnection() (and do not use new HikariDataSource(config), which starts the pool)");
    }
    if (pool.getCredentialsProvider() != null) {
      throw new IllegalStateException("pool " + name + " already has a credentials provider: "
          + pool.getCredentialsProvider().getClass().getName());
    }
    checkUsernamePassword(credential);
    RotatingHikariCredentials binding = new RotatingHikariCredentials(pool, credential);
    DataSource target = pool.getDataSource();
    if (target == null) {
      if (pool.getJdbcUrl() == null) {
        throw new IllegalStateException("pool " + name + " has neither a JDBC URL nor a DataSource"
            + (pool.getDataSourceClassName() != null ? " (dataSourceClassName is not supported: set the DataSource instead)" : ""));
      }
      Properties properties = pool.getDataSourceProperties() != null ? pool.getDataSourceProperties() : new Properties();
      target = new DriverDataSource(pool.getJdbcUrl(), pool.getDriverClassName(), properties, null, null);
    }
    pool.setDataSource(new LoginObservingDataSource(target, binding));
    pool.setCredentialsProvider(binding);
    credential.addListener(new CredentialListener() {
      @Override
      public void onRotated(CredentialRotated event) {
        binding.rotated();
      }
    });
    return binding;
  }

  private static void checkUsernamePassword(RotatingCredential credential) {
    Credential current;
    try {
      current = credential.get();
    } catch (CredentialException notYet) {
      return; // lazy start: checked at the first login
    }
    try {
      current.usernamePassword();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("credential '" + credential.name()
          + "' cannot log in a connection pool: its value has no username and password (" + current.value().getClass().getSimpleName() + ")", e);
    }
  }

  /** The credential this pool logs in with. */
  public RotatingCredential credential() {
    return credential;
  }

  /**
   * The current username and password, from memory. Called by HikariCP for every new connection.
   *
   * @throws io.github.rotate4j.CredentialExpiredException if the credential expired without a replacement
   */
  @Override
  public Credentials getCredentials() {
    Credential current = credential.get();
    Cached c = cached;
    if (c == null || c.credential != current) {
      SecretValue.UsernamePassword up = current.usernamePassword();
      c = new Cached(current, Credentials.of(up.username(), up.password()));
      cached = c;
    }
    handedOut.set(current);
    return c.credentials;
  }

  /** The credential HikariCP took on this thread for the login it is about to make. */
  Credential takeHandedOut() {
    Credential c = handedOut.get();
    handedOut.remove();
    return c;
  }

  /**
   * A login succeeded. If it used a credential that is no longer the current one (it started before
   * a rotation and ended after it), the connection may reach the pool after the rotation's
   * eviction: evict once more when it has settled (HikariCP #1836).
   */
  void loggedIn(Credential used) {
    if (used == null || closed) {
      return;
    }
    Credential current;
    try {
      current = credential.get();
    } catch (CredentialException e) {
      return;
    }
    if (!current.version().equals(used.version()) && evictionScheduled.compareAndSet(false, true)) {
      after(SETTLE).execute(() -> {
        evictionScheduled.set(false);
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        if (!closed && mx != null && pool.isRunning()) {
          mx.softEvictConnections();
          log.debug("Credential '{}': soft-evicted again after a login with the replaced credential finished", credential.name());
        }
      });
    }
  }

  void loginFailed(Credential used, java.sql.SQLException e) {
    if (used == null || !isLoginFailure(e)) {
      return;
    }
    if (!used.version().equals(lastRefusedVersion)) {
      lastRefusedVersion = used.version(); // one warning per version: a pool retries logins often
      log.warn("Database refused the login of credential '{}' version {} (SQLState {}); reporting it as rejected",
          credential.name(), used.version(), e.getSQLState());
    } else {
      log.debug("Database refused the login of credential '{}' version {} again (SQLState {})",
          credential.name(), used.version(), e.getSQLState());
    }
    credential.reportRejected(used).whenComplete((fresh, failure) -> {
      if (failure != null) {
        log.debug("Refresh of credential '{}' after a refused login failed: {}", credential.name(), failure.toString());
      }
    });
  }

  static boolean isLoginFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.sql.SQLException sql) {
        for (java.sql.SQLException s = sql; s != null; s = s.getNextException()) {
          if (s.getSQLState() != null && LOGIN_FAILURE_STATES.contains(s.getSQLState())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private void rotated() {
    if (closed) {
      return;
    }
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    if (mx == null) {
      return; // not started: the first connection will log in with the new credential
    }
    mx.softEvictConnections();
    log.debug("Credential '{}' rotated: soft-evicted the pool's connections", credential.name());
  }

  private static Executor after(Duration delay) {
    return CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops reacting to rotations. Idempotent. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "RotatingHikariCredentials[credential=" + credential.name() + ", pool=" + pool.getPoolName() + "]";
  }
}
