package io.github.rotate4j.spring.boot.jdbc;

import io.github.rotate4j.Credential;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** Delegates every call; tells the binding when a login finished and whether the database refused it. */
final class LoginObservingDataSource implements DataSource {

  private final DataSource delegate;
  private final RotatingHikariCredentials binding;

  LoginObservingDataSource(DataSource delegate, RotatingHikariCredentials binding) {
    this.delegate = delegate;
    this.binding = binding;
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    Credential used = binding.takeHandedOut();
    Connection connection;
    try {
      connection = delegate.getConnection(username, password);
    } catch (SQLException e) {
      binding.loginFailed(used, e);
      throw e;
    }
    binding.loggedIn(used);
    return connection;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return delegate.getConnection();
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    return type.isInstance(this) ? type.cast(this) : delegate.unwrap(type);
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return type.isInstance(this) || delegate.isWrapperFor(type);
  }

  @Override
  public String toString() {
    return "LoginObservingDataSource[" + delegate.getClass().getName() + "]";
  }
}
