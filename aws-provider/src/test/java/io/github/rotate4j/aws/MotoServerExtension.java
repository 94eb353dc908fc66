package io.github.rotate4j.aws;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one {@code moto_server} per test class on a free loopback port, resets it before each
 * test, and stops it after the class, also when tests fail. Test methods and constructors receive
 * the {@link MotoServer} as a parameter.
 *
 * <p>A missing {@code moto_server} fails the tests with a message saying how to install it
 * ({@code pip install 'moto[server]'}) or where to point {@code MOTO_SERVER_BIN}.
 */
public final class MotoServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MotoServerExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    context.getStore(NS).put("server", MotoServer.start());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    MotoServer server = context.getStore(NS).remove("server", MotoServer.class);
    if (server != null) {
      server.close();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    server(context).reset();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == MotoServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }

  private static MotoServer server(ExtensionContext context) {
    MotoServer server = context.getStore(NS).get("server", MotoServer.class);
    if (server == null && context.getParent().isPresent()) {
      return server(context.getParent().get());
    }
    if (server == null) {
      throw new IllegalStateException("moto_server was not started for " + context.getDisplayName());
    }
    return server;
  }
}
