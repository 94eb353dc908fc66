package io.github.rotate4j.vault;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts an OpenBao dev server and a throwaway PostgreSQL cluster once per test run, on free
 * loopback ports, and stops both after the last test (and on JVM exit, should the run be cut
 * short). Test methods and constructors take {@link OpenBaoDevServer} and {@link PostgresCluster}
 * parameters. A missing binary fails the tests with an install hint; nothing is skipped.
 */
final class DevServers implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(DevServers.class);

  /** Both servers; closed by JUnit when the root context closes, or by their shutdown hooks. */
  static final class Servers implements AutoCloseable {
    final OpenBaoDevServer bao;
    final PostgresCluster pg;

    Servers() throws Exception {
      OpenBaoDevServer b = OpenBaoDevServer.start();
      PostgresCluster p;
      try {
        p = PostgresCluster.start();
      } catch (Exception | Error e) {
        b.close();
        throw e;
      }
      this.bao = b;
      this.pg = p;
    }

    @Override
    public void close() {
      try {
        bao.close();
      } finally {
        pg.close();
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    servers(context);
  }

  private static Servers servers(ExtensionContext context) {
    return context.getRoot().getStore(NS).getOrComputeIfAbsent(Servers.class, k -> {
      try {
        return new Servers();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("could not start the test servers: " + e, e);
      }
    }, Servers.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    return t == OpenBaoDevServer.class || t == PostgresCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
    Servers s = servers(e);
    return p.getParameter().getType() == OpenBaoDevServer.class ? s.bao : s.pg;
  }
}
