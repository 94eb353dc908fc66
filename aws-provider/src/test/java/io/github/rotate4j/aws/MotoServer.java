package io.github.rotate4j.aws;

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
 * A {@code moto_server} process on a free loopback port, started and stopped by the tests. The
 * binary is {@code $MOTO_SERVER_BIN} if set, else {@code moto_server} on the {@code PATH}.
 */
public final class MotoServer implements AutoCloseable {

  public static final Region REGION = Region.US_EAST_1;
  public static final StaticCredentialsProvider TEST_CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final URI endpoint;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private MotoServer(Process process, URI endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
  }

  /** Starts a server and waits until it answers; fails with an install hint if there is no binary. */
  public static MotoServer start() throws IOException, InterruptedException {
    String binary = findBinary();
    int port = freePort();
    Path log = Files.createTempFile("moto-server-", ".log");
    ProcessBuilder pb = new ProcessBuilder(binary, "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("MOTO_ALLOW_NONEXISTENT_REGION", "true");
    Process process = pb.start();
    MotoServer server = new MotoServer(process, URI.create("http://127.0.0.1:" + port), log);
    try {
      server.awaitReady();
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  static String findBinary() {
    String override = System.getenv("MOTO_SERVER_BIN");
    if (override != null && !override.isBlank()) {
      if (!Files.isExecutable(Path.of(override))) {
        throw new IllegalStateException("MOTO_SERVER_BIN=" + override + " is not an executable file."
            + " Install moto with: pip install 'moto[server]'  (then unset MOTO_SERVER_BIN or point it at moto_server)");
      }
      return override;
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "moto_server"))) {
        return Path.of(dir, "moto_server").toString();
      }
    }
    throw new IllegalStateException("moto_server was not found on the PATH (" + path + ")."
        + " The AWS integration tests need it: install it with  pip install 'moto[server]'"
        + "  or set MOTO_SERVER_BIN to the moto_server executable.");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void awaitReady() throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("moto_server exited with code " + process.exitValue()
            + " before it was ready; its output:\n" + Files.readString(log));
      }
      try {
        HttpResponse<Void> r = http.send(
            HttpRequest.newBuilder(endpoint.resolve("/moto-api/data.json")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("moto_server did not answer on " + endpoint + " within " + STARTUP_TIMEOUT
        + "; its output:\n" + Files.readString(log));
  }

  /** The server's base URI, e.g. {@code http://127.0.0.1:40123}. */
  public URI endpoint() {
    return endpoint;
  }

  /** Drops every resource and turns authorisation checks off again. */
  public void reset() throws IOException, InterruptedException {
    post("/moto-api/reset", "");
    post("/moto-api/reset-auth", "inf");
  }

  /** From now on every request is authenticated and authorised against moto's IAM. */
  public void enforceIam() throws IOException, InterruptedException {
    post("/moto-api/reset-auth", "0");
  }

  private void post(String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  /** A Secrets Manager client for test setup (create, put, move labels), with test credentials. */
  public SecretsManagerClient newClient() {
    return SecretsManagerClient.builder()
        .region(REGION)
        .endpointOverride(endpoint)
        .credentialsProvider(TEST_CREDENTIALS)
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }

  /** A provider builder pointed at this server. */
  public AwsSecretsManagerProvider.Builder provider(String secretId) {
    return AwsSecretsManagerProvider.builder(secretId)
        .region(REGION)
        .endpointOverride(endpoint)
        .credentialsProvider(TEST_CREDENTIALS);
  }

  /** Stops the server and every process it started; waits up to 15 s. */
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
      // a temp file left behind is harmless
    }
  }
}
