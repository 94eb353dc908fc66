package io.github.rotate4j.samples.rotationjob.demo;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a {@link DemoKeyService} until interrupted:
 * {@code java -cp ... io.github.rotate4j.samples.rotationjob.demo.DemoKeyServiceCommand --port 8787}.
 * The admin token, if any, is read from {@value #ADMIN_TOKEN_ENV} (never from the command line,
 * where other users of the machine could see it).
 */
@Command(name = "demo-key-service", mixinStandardHelpOptions = true,
    description = "A local stand-in for an external provider's key API (create, list, revoke, ping).")
public final class DemoKeyServiceCommand implements Callable<Integer> {

  /** The environment variable holding the admin token. */
  public static final String ADMIN_TOKEN_ENV = "DEMO_KEY_SERVICE_ADMIN_TOKEN";

  @Option(names = "--port", defaultValue = "8787", description = "loopback port to listen on (0: any free port); default ${DEFAULT-VALUE}")
  int port;

  @Option(names = "--max-live-keys", defaultValue = "2", description = "live keys one account may hold; default ${DEFAULT-VALUE}")
  int maxLiveKeys;

  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Starts the service from the command line. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoKeyServiceCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    DemoKeyService.Builder builder = DemoKeyService.builder().port(port).maxLiveKeys(maxLiveKeys);
    String token = System.getenv(ADMIN_TOKEN_ENV);
    if (token != null && !token.isBlank()) {
      builder.adminToken(token);
    }
    DemoKeyService service = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "demo-key-service-stop"));
    System.out.println("demo key service listening on " + service.uri()
        + (token == null || token.isBlank() ? " (key API open: no admin token set)" : " (admin token required)"));
    System.out.flush();
    stopped.await();
    return 0;
  }
}
