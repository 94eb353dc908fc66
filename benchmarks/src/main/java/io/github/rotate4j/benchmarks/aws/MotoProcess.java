package io.github.rotate4j.benchmarks.aws;

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
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;

/**
 * A {@code moto_server} on a free port on 127.0.0.1 for the AWS benchmarks ({@code $MOTO_SERVER_BIN}
 * or {@code moto_server} on the PATH; install with {@code pip install 'moto[server]'}).
 */
final class MotoProcess implements AutoCloseable {

  static final Region REGION = Region.US_EAST_1;
  static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

  private final Process process;
  private final URI endpoint;
  private final Path log;

  private MotoProcess(Process process, URI endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
  }

  static MotoProcess start() throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("moto-bench-", ".log");
    Process p = new ProcessBuilder(binary(), "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    MotoProcess moto = new MotoProcess(p, URI.create("http://127.0.0.1:" + port), log);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      if (!p.isAlive()) {
        moto.close();
        throw new IllegalStateException("moto_server exited early: " + Files.readString(log));
      }
      try {
        if (http.send(HttpRequest.newBuilder(moto.endpoint.resolve("/moto-api/data.json")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return moto;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(100);
    }
    moto.close();
    throw new IllegalStateException("moto_server did not start within 60 s");
  }

  private static String binary() {
    String override = System.getenv("MOTO_SERVER_BIN");
    if (override != null && !override.isBlank()) {
      return override;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "moto_server"))) {
        return Path.of(dir, "moto_server").toString();
      }
    }
    throw new IllegalStateException(
        "moto_server not found: install it with  pip install 'moto[server]'  or set MOTO_SERVER_BIN");
  }

  URI endpoint() {
    return endpoint;
  }

  /** A client for this server, optionally with interceptors (e.g. to count calls). */
  SecretsManagerClient client(ExecutionInterceptor... interceptors) {
    return SecretsManagerClient.builder()
        .region(REGION)
        .endpointOverride(endpoint)
        .credentialsProvider(CREDENTIALS)
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> {
          for (ExecutionInterceptor i : interceptors) {
            c.addExecutionInterceptor(i);
          }
        })
        .build();
  }

  /** Stages {@code value} as AWSPENDING and promotes it to AWSCURRENT, as a rotation does. */
  static String rotate(SecretsManagerClient admin, String secretId, String value) {
    String old = admin.describeSecret(r -> r.secretId(secretId)).versionIdsToStages().entrySet().stream()
        .filter(e -> e.getValue().contains("AWSCURRENT")).map(java.util.Map.Entry::getKey).findFirst().orElseThrow();
    PutSecretValueResponse put = admin.putSecretValue(r -> r.secretId(secretId).secretString(value)
        .versionStages("AWSPENDING"));
    admin.updateSecretVersionStage(r -> r.secretId(secretId).versionStage("AWSCURRENT")
        .moveToVersionId(put.versionId()).removeFromVersionId(old));
    admin.updateSecretVersionStage(r -> r.secretId(secretId).versionStage("AWSPENDING")
        .removeFromVersionId(put.versionId()));
    return put.versionId();
  }

  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    children.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
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
