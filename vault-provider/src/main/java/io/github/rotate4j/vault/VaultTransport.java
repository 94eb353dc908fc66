package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.SslConfig;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.jopenlibs.vault.json.ParseException;
import io.github.jopenlibs.vault.rest.RestResponse;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Talks HTTP to one Vault/OpenBao server: builds driver instances bound to a token, runs raw calls
 * the driver cannot make correctly, and turns every failure into a classified
 * {@link BackendException} whose message names the path and never a token or secret.
 */
final class VaultTransport {

  static final String BACKEND = "vault";

  /** The driver must never pick up VAULT_TOKEN, ~/.vault-token or VAULT_SSL_* on its own. */
  private static final EnvironmentLoader NO_ENVIRONMENT = new EnvironmentLoader() {
    @Override
    public @Nullable String loadVariable(String name) {
      return null;
    }
  };

  private final String address;
  private final @Nullable String namespace;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final int requestTimeoutSeconds;

  VaultTransport(String address, @Nullable String namespace, HttpClient http, Duration requestTimeout) {
    this.address = address;
    this.namespace = namespace;
    this.http = http;
    this.requestTimeout = requestTimeout;
    // the driver takes whole seconds; round up so that a sub-second timeout does not become "none"
    long seconds = (requestTimeout.toMillis() + 999) / 1000;
    this.requestTimeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
  }

  String address() {
    return address;
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  /**
   * A driver instance bound to {@code token}. {@code kvMount == null} gives an engine-version-1
   * instance that sends every path exactly as given (logical reads, writes, leases, auth); a mount
   * gives a KV v2 instance whose path rewriting ({@code <mount>/data/<path>}) applies only there.
   * The driver's single global engine version would otherwise turn {@code database/creds/x} into
   * {@code database/data/creds/x}, so the two kinds are never shared.
   */
  Vault driver(@Nullable String token, @Nullable String kvMount) {
    try {
      VaultConfig config = new VaultConfig()
          .environmentLoader(NO_ENVIRONMENT)
          .address(address)
          // empty, not null: the driver skips empty headers, and a null token would be looked up
          .token(token == null ? "" : token)
          .httpClient(http)
          // ignored by the driver whenever an HttpClient is configured; set so it never builds its own
          .sslConfig(new SslConfig())
          .openTimeout(requestTimeoutSeconds)
          .readTimeout(requestTimeoutSeconds);
      if (namespace != null) {
        config.nameSpace(namespace);
      }
      if (kvMount != null) {
        config.prefixPath(kvMount);
      }
      config.build();
      return Vault.create(config, kvMount == null ? 1 : 2);
    } catch (VaultException e) {
      throw new PermanentBackendException(BACKEND, address, "invalid Vault client configuration", null);
    }
  }

  /** A driver call; the driver reports 4xx as responses and other failures as exceptions. */
  @FunctionalInterface
  interface DriverCall {
    RestResponse run() throws VaultException;
  }

  /**
   * Runs a driver call and returns the parsed JSON body of a successful (2xx) response; an empty
   * object for 204.
   */
  JsonObject call(@Nullable String credentialName, String path, DriverCall call) {
    RestResponse response;
    try {
      response = call.run();
    } catch (VaultException e) {
      throw fromDriver(credentialName, path, e);
    } catch (RuntimeException e) {
      throw new PermanentBackendException(credentialName, BACKEND, path,
          "unexpected client failure: " + e.getClass().getSimpleName(), null);
    }
    return body(credentialName, path, response.getStatus(), response.getBody());
  }

  /**
   * Sends a request with the JDK client directly. Used where the driver cannot be used: its lease
   * API ({@code sys.Leases}) ignores the configured {@link HttpClient} and builds a fresh client per
   * call, pinned to TLS 1.2 and blind to the trust settings given here.
   */
  JsonObject send(@Nullable String credentialName, String method, String apiPath, String token, @Nullable JsonObject body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(address + "/v1/" + apiPath))
        .timeout(requestTimeout)
        .header("X-Vault-Request", "true")
        .header("Content-Type", "application/json")
        .method(method, body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
    if (token != null && !token.isEmpty()) {
      request.header("X-Vault-Token", token);
    }
    if (namespace != null) {
      request.header("X-Vault-Namespace", namespace);
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw ioFailure(credentialName, apiPath, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransientBackendException(credentialName, BACKEND, apiPath, "interrupted", null);
    }
    return body(credentialName, apiPath, response.statusCode(), response.body());
  }

  private JsonObject body(@Nullable String credentialName, String path, int status, byte[] bytes) {
    String text = bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    if (status < 200 || status > 299) {
      throw statusFailure(credentialName, path, status, text);
    }
    if (status == 204 || text.isBlank()) {
      return new JsonObject();
    }
    try {
      JsonValue value = Json.parse(text);
      if (!value.isObject()) {
        throw malformed(credentialName, path, "a JSON " + kindOf(value) + " instead of an object");
      }
      return value.asObject();
    } catch (ParseException e) {
      throw malformed(credentialName, path, "invalid JSON at line " + e.getLine());
    }
  }

  static PermanentBackendException malformed(@Nullable String credentialName, String path, String what) {
    return new PermanentBackendException(credentialName, BACKEND, path, "malformed response: " + what, null);
  }

  private static String kindOf(JsonValue v) {
    if (v.isArray()) {
      return "array";
    }
    if (v.isString()) {
      return "string";
    }
    if (v.isNumber()) {
      return "number";
    }
    return "literal";
  }

  /**
   * Classifies an HTTP status: 429, 412 (a standby not caught up yet) and 5xx are transient,
   * everything else (400, 403, 404, ...) is permanent. Vault's own error strings are short and
   * never echo a request body, so they are kept, cut to a reasonable length.
   */
  static BackendException statusFailure(@Nullable String credentialName, String path, int status, @Nullable String body) {
    String message = "HTTP " + status + describeStatus(status) + vaultErrors(body);
    if (status == 429 || status == 412 || status >= 500) {
      return new TransientBackendException(credentialName, BACKEND, path, message, null, status);
    }
    return new PermanentBackendException(credentialName, BACKEND, path, message, null, status);
  }

  /** Whether {@code e} reports an HTTP 403 (see {@link #statusFailure}). */
  static boolean isPermissionDenied(BackendException e) {
    return e.httpStatus().orElse(0) == 403;
  }

  private static String describeStatus(int status) {
    return switch (status) {
      case 400 -> " bad request";
      case 403 -> " permission denied";
      case 404 -> " not found";
      case 412 -> " precondition failed";
      case 429 -> " too many requests";
      case 500 -> " internal server error";
      case 502 -> " bad gateway";
      case 503 -> " service unavailable (sealed, standby or overloaded)";
      case 504 -> " gateway timeout";
      default -> "";
    };
  }

  private static String vaultErrors(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    try {
      JsonValue errors = Json.parse(body).asObject().get("errors");
      if (errors == null || !errors.isArray() || errors.asArray().isEmpty()) {
        return "";
      }
      StringBuilder sb = new StringBuilder();
      for (JsonValue e : errors.asArray()) {
        if (e.isString()) {
          sb.append(sb.length() == 0 ? "" : "; ").append(e.asString().replaceAll("\\s+", " ").trim());
        }
      }
      String text = sb.length() > 200 ? sb.substring(0, 200) + "..." : sb.toString();
      return text.isEmpty() ? "" : ": " + text;
    } catch (RuntimeException notJson) {
      return "";
    }
  }

  /** Maps a driver exception: it carries the HTTP status, or an I/O failure as its cause. */
  BackendException fromDriver(@Nullable String credentialName, String path, VaultException e) {
    int status = e.getHttpStatusCode();
    if (status >= 200 && status <= 299) {
      // the driver refuses a 2xx whose Content-Type is not exactly application/json
      return malformed(credentialName, path, "HTTP " + status + " without a JSON content type");
    }
    if (status > 0) {
      // the driver's message embeds the response body; keep only Vault's own error strings from it
      return statusFailure(credentialName, path, status, responseBody(e.getMessage()));
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof IOException io) {
        return ioFailure(credentialName, path, io);
      }
      if (t instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return new TransientBackendException(credentialName, BACKEND, path, "interrupted", null);
      }
    }
    if (e.getCause() instanceof RuntimeException) {
      // the driver parses responses eagerly and fails on shapes it does not expect
      return malformed(credentialName, path, "the client could not parse it ("
          + e.getCause().getClass().getSimpleName() + ")");
    }
    return new PermanentBackendException(credentialName, BACKEND, path,
        "request failed: " + e.getClass().getSimpleName(), null);
  }

  private BackendException ioFailure(@Nullable String credentialName, String path, IOException e) {
    SSLException ssl = sslCause(e);
    if (ssl != null) {
      if (address.startsWith("https://") && speaksPlainHttp()) {
        return new PermanentBackendException(credentialName, BACKEND, path,
            "TLS handshake with " + address + " failed: the server answers plain HTTP, not TLS; use http:// in the "
                + "address, or give the listener a certificate (https needs a TLS listener)", e);
      }
      if (!(ssl.getCause() instanceof IOException)) {
        // a certificate not trusted, a name mismatch, no common protocol: no retry fixes these
        return new PermanentBackendException(credentialName, BACKEND, path,
            "TLS handshake with " + address + " failed (" + ssl.getClass().getSimpleName()
                + (ssl.getMessage() == null ? "" : ": " + ssl.getMessage()) + "); check the trust settings", e);
      }
    }
    if (e instanceof HttpTimeoutException) {
      return new TransientBackendException(credentialName, BACKEND, path,
          "no response within " + requestTimeout, e);
    }
    return new TransientBackendException(credentialName, BACKEND, path,
        "I/O error talking to " + address + ": " + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
  }

  /** The innermost TLS failure in the chain (the JDK client wraps the handshake's own exception). */
  private static @Nullable SSLException sslCause(Throwable e) {
    SSLException found = null;
    Throwable t = e;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof SSLException ssl) {
        found = ssl;
      }
    }
    return found;
  }

  /**
   * Whether the server at the https address answers a plain HTTP request: a TLS client hello sent
   * to a plain listener ends in a reset that looks like a network failure, but is a configuration
   * error that no retry fixes.
   */
  private boolean speaksPlainHttp() {
    URI uri = URI.create(address);
    int port = uri.getPort() == -1 ? 443 : uri.getPort();
    int timeout = (int) Math.min(2000, Math.max(1, requestTimeout.toMillis()));
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), port), timeout);
      socket.setSoTimeout(timeout);
      socket.getOutputStream().write(("HEAD /v1/sys/health HTTP/1.0\r\nHost: " + uri.getHost() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readNBytes(512), StandardCharsets.US_ASCII);
      // a TLS listener may answer plain HTTP too, with a 400 that says so (Go's server does)
      return answer.startsWith("HTTP/") && !answer.contains("HTTPS server");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The JSON body the driver appends to its message ("...\nResponse body: {...}"), or null. */
  private static @Nullable String responseBody(@Nullable String driverMessage) {
    if (driverMessage == null) {
      return null;
    }
    int at = driverMessage.indexOf("Response body: ");
    return at < 0 ? null : driverMessage.substring(at + "Response body: ".length());
  }
}
