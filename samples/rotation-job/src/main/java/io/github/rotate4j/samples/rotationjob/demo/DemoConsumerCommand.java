package io.github.rotate4j.samples.rotationjob.demo;

import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A consumer for the demo: a {@link RotatingCredential} over a {@link FileSecretStore} that calls the
 * demo key service's authenticated endpoint in a loop with {@code call(fn)}, prints each key change,
 * and on exit (Ctrl-C, SIGTERM) how many calls were made and how many were rejected.
 */
@Command(name = "demo-consumer", mixinStandardHelpOptions = true,
    description = "Calls the demo key service with the key from a file store, surviving rotations.")
public final class DemoConsumerCommand implements Callable<Integer> {

  @Option(names = "--store", required = true, description = "the file store the rotation job writes")
  Path store;

  @Option(names = "--service", required = true, description = "the demo key service, e.g. http://127.0.0.1:8787")
  URI service;

  @Option(names = "--refresh", defaultValue = "PT1S", description = "how often the key is re-read; default ${DEFAULT-VALUE}")
  Duration refresh;

  @Option(names = "--pause", defaultValue = "PT0.1S", description = "pause between calls; default ${DEFAULT-VALUE}")
  Duration pause;

  /** Runs the consumer until the process is stopped. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoConsumerCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    DemoKeyClient client = DemoKeyClient.of(service);
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(1);
    RotatingCredential key = RotatingCredential.builder("demo-consumer", new FileSecretStore(store).provider())
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(refresh).gracePeriod(Duration.ofMinutes(5)).build())
        .listener(new CredentialListener() {
          @Override
          public void onRotated(CredentialRotated e) {
            System.out.println("consumer: key rotated: version " + e.previousVersion() + " -> " + e.newVersion());
          }
        })
        .build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.set(true);
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      System.out.println("consumer: " + (ok.sum() + failed.sum()) + " calls, " + ok.sum() + " accepted, "
          + failed.sum() + " rejected");
    }, "demo-consumer-stop"));
    System.out.println("consumer: calling " + service + " with version " + key.get().version());
    try (key) {
      while (!stop.get()) {
        try {
          key.call(c -> client.ping(DemoKeyIssuer.secretOf(c.value()).orElseThrow())
              .orElseThrow(() -> new CredentialRejectedException("the demo key service answered 401")));
          ok.increment();
        } catch (Exception e) {
          failed.increment();
          System.out.println("consumer: call failed: " + e.getMessage());
        }
        Thread.sleep(pause.toMillis());
      }
    } finally {
      done.countDown();
    }
    return 0;
  }
}
