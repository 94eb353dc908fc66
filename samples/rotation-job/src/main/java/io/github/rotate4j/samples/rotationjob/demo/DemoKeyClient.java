package io.github.rotate4j.samples.rotationjob.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Calls the key API of a {@link DemoKeyService} over {@link HttpClient}. Thread-safe.
 *
 * <p>Failures throw {@link DemoKeyServiceException} naming the operation, the service URI and the
 * HTTP status; secrets never appear in a message.
 */
public final class DemoKeyClient {

  /** Timeout of one request unless configured otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final Optional<String> adminToken;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * A client.
   *
   * @param base the service's base URI, for example {@code http://127.0.0.1:8787}
   * @param adminToken the service's admin token, if it requires one
   * @param timeout the timeout of one request
   */
  public DemoKeyClient(URI base, Optional<String> adminToken, Duration timeout) {
    Objects.requireNonNull(base, "base");
    this.base = base.getPath() == null || base.getPath().endsWith("/") ? base : URI.create(base + "/");
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("demo key service URI must be http or https, but was " + base);
    }
    this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, but was " + timeout);
    }
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** A client without admin token and with the default timeout. */
  public static DemoKeyClient of(URI base) {
    return new DemoKeyClient(base, Optional.empty(), DEFAULT_TIMEOUT);
  }

  /** The service's base URI. */
  public URI uri() {
    return base;
  }

  /**
   * Creates a key for an account.
   *
   * @throws DemoKeyServiceException when the service refuses (409: two live keys already) or fails
   */
  public CreatedKey create(String name) {
    return create(name, Optional.empty());
  }

  /**
   * Creates a key for an account, labelled so that {@link #listLabelled} finds it again.
   *
   * @throws DemoKeyServiceException when the service refuses (409: two live keys already) or fails
   */
  public CreatedKey create(String name, Optional<String> label) {
    var node = JSON.createObjectNode().put("name", name);
    label.ifPresent(l -> node.put("label", l));
    String body = node.toString();
    JsonNode json = send("create a key for '" + name + "'", admin(HttpRequest.newBuilder(base.resolve("v1/keys")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), 201);
    return new CreatedKey(text(json, "id"), text(json, "name"), text(json, "secret"), Instant.parse(text(json, "createdAt")));
  }

  /** The keys of an account, oldest first, without secrets. */
  public List<DemoKeyService.KeyInfo> list(String name) {
    JsonNode json = send("list the keys of '" + name + "'", admin(HttpRequest.newBuilder(
        base.resolve("v1/keys?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))).GET(), 200);
    List<DemoKeyService.KeyInfo> keys = new ArrayList<>();
    for (JsonNode k : json.path("keys")) {
      keys.add(info(k));
    }
    return keys;
  }

  /** The keys of an account carrying a label, oldest first, without secrets. */
  public List<DemoKeyService.KeyInfo> listLabelled(String name, String label) {
    JsonNode json = send("list the keys of '" + name + "' labelled '" + label + "'", admin(HttpRequest.newBuilder(
        base.resolve("v1/keys?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
            + "&label=" + URLEncoder.encode(label, StandardCharsets.UTF_8)))).GET(), 200);
    List<DemoKeyService.KeyInfo> keys = new ArrayList<>();
    for (JsonNode k : json.path("keys")) {
      keys.add(info(k));
    }
    return keys;
  }

  /** One key, or empty when the service does not know it. */
  public Optional<DemoKeyService.KeyInfo> get(String id) {
    HttpResponse<String> r = exchange("read key " + id, admin(HttpRequest.newBuilder(base.resolve("v1/keys/" + id))).GET());
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    return Optional.of(info(check("read key " + id, r, 200)));
  }

  /**
   * Revokes a key; revoking a revoked key again succeeds.
   *
   * @return false when the service does not know the key
   */
  public boolean revoke(String id) {
    HttpResponse<String> r = exchange("revoke key " + id, admin(HttpRequest.newBuilder(base.resolve("v1/keys/" + id))).DELETE());
    if (r.statusCode() == 404) {
      return false;
    }
    check("revoke key " + id, r, 204);
    return true;
  }

  /** The id a demo secret names ({@code dk.<id>.<random>}), or empty for anything else. */
  public static Optional<String> keyIdOf(String secret) {
    String[] parts = secret.split("\\.", -1);
    return parts.length == 3 && parts[0].equals("dk") && !parts[1].isEmpty() ? Optional.of(parts[1]) : Optional.empty();
  }

  /**
   * Makes the authenticated call with a key.
   *
   * @return the id of the key the service recognised, or empty when it answered 401
   */
  public Optional<String> ping(String secret) {
    HttpResponse<String> r = exchange("ping", HttpRequest.newBuilder(base.resolve("v1/ping"))
        .header("Authorization", "Bearer " + secret).GET());
    if (r.statusCode() == 401) {
      return Optional.empty();
    }
    return Optional.of(text(check("ping", r, 200), "keyId"));
  }

  @Override
  public String toString() {
    return "DemoKeyClient[" + base + "]";
  }

  private HttpRequest.Builder admin(HttpRequest.Builder b) {
    adminToken.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  private JsonNode send(String what, HttpRequest.Builder request, int expected) {
    return check(what, exchange(what, request), expected);
  }

  private HttpResponse<String> exchange(String what, HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new DemoKeyServiceException("could not " + what + " at " + base + ": " + e, 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DemoKeyServiceException("interrupted while trying to " + what + " at " + base, 0, e);
    }
  }

  private JsonNode check(String what, HttpResponse<String> r, int expected) {
    JsonNode json;
    try {
      json = r.body() == null || r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new DemoKeyServiceException("could not " + what + " at " + base + ": HTTP " + r.statusCode()
          + " with a body that is not JSON", r.statusCode(), e);
    }
    if (r.statusCode() != expected) {
      throw new DemoKeyServiceException("could not " + what + " at " + base + ": HTTP " + r.statusCode()
          + json.path("error").asText("").transform(m -> m.isEmpty() ? "" : " (" + m + ")"), r.statusCode(), null);
    }
    return json;
  }

  private String text(JsonNode json, String field) {
    JsonNode v = json.get(field);
    if (v == null || !v.isTextual()) {
      throw new DemoKeyServiceException("malformed answer from " + base + ": no text field '" + field + "'", 200, null);
    }
    return v.asText();
  }

  private DemoKeyService.KeyInfo info(JsonNode k) {
    JsonNode label = k.get("label");
    return new DemoKeyService.KeyInfo(text(k, "id"), text(k, "name"),
        label == null || label.isNull() ? Optional.empty() : Optional.of(label.asText()), Instant.parse(text(k, "createdAt")),
        instant(k, "lastUsedAt"), instant(k, "revokedAt"));
  }

  private static Optional<Instant> instant(JsonNode k, String field) {
    JsonNode v = k.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(Instant.parse(v.asText()));
  }

  /**
   * A key just created: the only moment its secret is known. {@link #toString()} hides the secret.
   *
   * @param id the key id
   * @param name the account
   * @param secret the secret the consumers present
   * @param createdAt when the service created it
   */
  public record CreatedKey(String id, String name, String secret, Instant createdAt) {
    public CreatedKey {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(secret, "secret");
      Objects.requireNonNull(createdAt, "createdAt");
    }

    @Override
    public String toString() {
      return "CreatedKey[id=" + id + ", name=" + name + ", secret=****, createdAt=" + createdAt + "]";
    }
  }
}
