package io.github.rotate4j.spring.boot.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** A database that accepts the passwords it is told to, records every connection and can hold logins. */
final class StubDatabase implements DataSource {

  /** One physical connection. */
  static final class Session {
    final String user;
    final String password;
    volatile boolean closed;

    Session(String user, String password) {
      this.user = user;
      this.password = password;
    }
  }

  final Set<String> accepted = ConcurrentHashMap.newKeySet();
  final List<Session> sessions = new CopyOnWriteArrayList<>();
  final List<String> refusedPasswords = new CopyOnWriteArrayList<>();
  private volatile String holdPassword;
  private final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  /** The next login with {@code password} waits until {@link #release()}. */
  void holdLoginsWith(String password) {
    this.holdPassword = password;
  }

  boolean awaitHeldLogin() throws InterruptedException {
    return holding.await(10, TimeUnit.SECONDS);
  }

  void release() {
    release.countDown();
  }

  List<Session> open(String password) {
    return sessions.stream().filter(s -> !s.closed && s.password.equals(password)).toList();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    if (password.equals(holdPassword)) {
      holdPassword = null;
      holding.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!accepted.contains(password)) {
      refusedPasswords.add(password);
      throw new SQLException("FATAL: password authentication failed for user \"" + username + "\"", "28P01");
    }
    Session s = new Session(username, password);
    sessions.add(s);
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "close" -> {
            s.closed = true;
            yield null;
          }
          case "isClosed" -> s.closed;
          case "isValid", "getAutoCommit" -> !s.closed;
          case "isReadOnly", "isWrapperFor" -> false;
          case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
          case "getNetworkTimeout" -> 0;
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          case "toString" -> "StubConnection[" + username + "]";
          default -> null;
        });
  }

  @Override
  public Connection getConnection() throws SQLException {
    throw new SQLException("no default user");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return false;
  }
}
