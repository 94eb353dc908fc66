package io.github.rotate4j.samples.rotationjob;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * A {@code moto_server} process on a free loopback port: a trimmed copy of the aws-provider module's
 * test harness. The binary is {@code $MOTO_SERVER_BIN} or {@code moto_server} on the PATH; a missing
 * binary fails the test with an install hint.
 */
final class MotoServer implements AutoCloseable {

  static final Region REGION = Region.US_EAST_1;
  static final StaticCredentialsProvider TEST_CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

  private final Process process;
  private final URI endpoint;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private MotoServer(Process process, URI endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
  }

  static MotoServer start() throws IOException, InterruptedException {
    String binary = findBinary();
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Path log = Files.createTempFile("rotation-job-moto-", ".log");
    ProcessBuilder pb = new ProcessBuilder(binary, "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("MOTO_ALLOW_NONEXISTENT_REGION", "true");
    MotoServer server = new MotoServer(pb.start(), URI.create("http://127.0.0.1:" + port), log);
    try {
      server.awaitReady(Duration.ofSeconds(60));
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static String findBinary() {
    String override = System.getenv("MOTO_SERVER_BIN");
    if (override != null && !override.isBlank()) {
      return override;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "moto_server"))) {
        return Path.of(dir, "moto_server").toString();
      }
    }
    throw new IllegalStateException("moto_server was not found on the PATH: install it with  pip install 'moto[server]'"
        + "  or set MOTO_SERVER_BIN to the moto_server executable");
  }

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("moto_server exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/data.json"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("moto_server did not answer on " + endpoint + " within " + timeout + ":\n"
        + Files.readString(log));
  }

  URI endpoint() {
    return endpoint;
  }

  /** A Secrets Manager client with test credentials, for setting up secrets. */
  SecretsManagerClient newClient() {
    return SecretsManagerClient.builder().region(REGION).endpointOverride(endpoint)
        .credentialsProvider(TEST_CREDENTIALS).httpClient(UrlConnectionHttpClient.create()).build();
  }

  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    children.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // harmless
    }
  }
}
