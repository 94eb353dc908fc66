package io.github.rotate4j.samples.rotationjob.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A small HTTP service on a loopback port that stands in for an external provider's key API, so
 * that the whole rotation flow runs on a laptop.
 *
 * <ul>
 *   <li>{@code POST /v1/keys} with {@code {"name": "payments", "label": "rotation-42"}} (label
 *       optional): creates a key for that account and answers {@code 201 {"id", "name", "label",
 *       "secret", "createdAt"}} &mdash; the only time the secret is shown. The secret has the form
 *       {@code dk.<id>.<random>}: like many real API keys it names its own id, never its random part. At most {@link Builder#maxLiveKeys(int) maxLiveKeys} (default 2) keys of one account
 *       are live at once; one more answers {@code 409}.
 *   <li>{@code GET /v1/keys?name=payments&label=rotation-42} (both filters optional): the keys (never their secrets) with creation, last use
 *       and revocation times.
 *   <li>{@code GET /v1/keys/{id}}: one key; {@code DELETE /v1/keys/{id}}: revokes it (idempotent).
 *   <li>{@code GET /v1/ping} with {@code Authorization: Bearer <secret>}: the authenticated call
 *       consumers make; records the key's last use; {@code 401} for an unknown or revoked key.
 *   <li>{@code GET /v1/stats}: accepted and rejected ping counts.
 * </ul>
 *
 * <p>When an admin token is set, the key endpoints and stats require {@code Authorization: Bearer
 * <admin token>}. Secrets are kept only as SHA-256 digests and never logged.
 *
 * <p>Thread-safe: requests are served by a small thread pool; key changes happen under one lock,
 * pings read a concurrent snapshot.
 */
public final class DemoKeyService implements AutoCloseable {

  /** Live keys one account may hold at once unless configured otherwise. */
  public static final int DEFAULT_MAX_LIVE_KEYS = 2;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Clock clock;
  private final int maxLiveKeys;
  private final Optional<String> adminTokenDigest;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, DemoKey> keysById = new ConcurrentHashMap<>();
  private final Map<String, String> idsByDigest = new ConcurrentHashMap<>();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();

  private DemoKeyService(Builder b) throws IOException {
    this.clock = b.clock;
    this.maxLiveKeys = b.maxLiveKeys;
    this.adminTokenDigest = Optional.ofNullable(b.adminToken).map(DemoKeyService::digest);
    this.server = HttpServer.create(new InetSocketAddress(b.bindAddress, b.port), 64);
    this.executor = Executors.newFixedThreadPool(b.threads, r -> {
      Thread t = new Thread(r, "demo-key-service");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/v1/keys", this::handleKeys);
    server.createContext("/v1/ping", this::handlePing);
    server.createContext("/v1/stats", this::handleStats);
    server.createContext("/", exchange -> respond(exchange, 404, error("no such endpoint: " + exchange.getRequestURI().getPath())));
  }

  /** A builder: loopback address, a free port, the system clock, no admin token. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a service with the defaults on a free loopback port. */
  public static DemoKeyService start() throws IOException {
    return builder().start();
  }

  /** The base URI, for example {@code http://127.0.0.1:40123}. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  /** Pings answered 200 since start. */
  public long acceptedPings() {
    return accepted.get();
  }

  /** Pings answered 401 since start. */
  public long rejectedPings() {
    return rejected.get();
  }

  /** The keys of an account, oldest first (a snapshot, without secrets). */
  public List<KeyInfo> keys(String name) {
    return keysById.values().stream().filter(k -> k.name.equals(name))
        .sorted(Comparator.comparing((DemoKey k) -> k.createdAt).thenComparing(k -> k.id))
        .map(DemoKeyService::info).toList();
  }

  /** One key, if the service knows it. */
  public Optional<KeyInfo> key(String id) {
    return find(id);
  }

  /** Stops serving at once; requests in flight may be cut off. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "DemoKeyService[" + uri() + ", maxLiveKeys=" + maxLiveKeys + "]";
  }

  // ---------------------------------------------------------------- handlers

  private void handleKeys(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!adminAuthorised(exchange)) {
        respond(exchange, 401, error("admin token missing or wrong"));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (path.equals("/v1/keys") || path.equals("/v1/keys/")) {
        switch (method) {
          case "POST" -> create(exchange);
          case "GET" -> list(exchange);
          default -> respond(exchange, 405, error(method + " not allowed on /v1/keys"));
        }
        return;
      }
      String id = path.substring("/v1/keys/".length());
      switch (method) {
        case "GET" -> get(exchange, id);
        case "DELETE" -> revoke(exchange, id);
        default -> respond(exchange, 405, error(method + " not allowed on /v1/keys/{id}"));
      }
    } catch (RuntimeException e) {
      respond(exchange, 500, error("internal error: " + e.getClass().getSimpleName()));
    }
  }

  private void create(HttpExchange exchange) throws IOException {
    JsonNode body;
    try (InputStream in = exchange.getRequestBody()) {
      body = JSON.readTree(in);
    } catch (IOException e) {
      respond(exchange, 400, error("request body is not JSON"));
      return;
    }
    String name = body == null ? null : body.path("name").asText(null);
    if (name == null || !LABEL.matcher(name).matches()) {
      respond(exchange, 400, error("'name' is required: 1 to 100 letters, digits, '.', '_' or '-'"));
      return;
    }
    String label = body.path("label").asText(null);
    if (label != null && !LABEL.matcher(label).matches()) {
      respond(exchange, 400, error("'label' must be 1 to 100 letters, digits, '.', '_' or '-'"));
      return;
    }
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    DemoKey key;
    String secret;
    lock.lock();
    try {
      long live = keysById.values().stream().filter(k -> k.name.equals(name) && k.revokedAt == null).count();
      if (live >= maxLiveKeys) {
        respond(exchange, 409, error("account '" + name + "' already has " + live + " live keys (at most "
            + maxLiveKeys + "); revoke one first"));
        return;
      }
      byte[] tag = new byte[3];
      RANDOM.nextBytes(tag);
      String id = "key-" + sequence.incrementAndGet() + "-" + HexFormat.of().formatHex(tag);
      key = new DemoKey(id, name, label, clock.instant());
      secret = "dk." + id + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      keysById.put(id, key);
      idsByDigest.put(digest(secret), id);
    } finally {
      lock.unlock();
    }
    ObjectNode out = toJson(info(key));
    out.put("secret", secret);
    respond(exchange, 201, out);
  }

  private void list(HttpExchange exchange) throws IOException {
    String query = Optional.ofNullable(exchange.getRequestURI().getQuery()).orElse("");
    String name = null;
    String label = null;
    for (String part : query.split("&")) {
      if (part.startsWith("name=")) {
        name = java.net.URLDecoder.decode(part.substring(5), StandardCharsets.UTF_8);
      } else if (part.startsWith("label=")) {
        label = java.net.URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
      }
    }
    String byName = name;
    String byLabel = label;
    List<KeyInfo> keys = keysById.values().stream()
        .filter(k -> byName == null || k.name.equals(byName))
        .filter(k -> byLabel == null || byLabel.equals(k.label))
        .sorted(Comparator.comparing((DemoKey k) -> k.createdAt).thenComparing(k -> k.id))
        .map(DemoKeyService::info).toList();
    ObjectNode out = JSON.createObjectNode();
    var array = out.putArray("keys");
    keys.forEach(k -> array.add(toJson(k)));
    respond(exchange, 200, out);
  }

  private void get(HttpExchange exchange, String id) throws IOException {
    Optional<KeyInfo> key = find(id);
    if (key.isEmpty()) {
      respond(exchange, 404, error("no key " + id));
    } else {
      respond(exchange, 200, toJson(key.get()));
    }
  }

  private void revoke(HttpExchange exchange, String id) throws IOException {
    lock.lock();
    try {
      DemoKey key = keysById.get(id);
      if (key == null) {
        respond(exchange, 404, error("no key " + id));
        return;
      }
      if (key.revokedAt == null) {
        key.revokedAt = clock.instant();
      }
    } finally {
      lock.unlock();
    }
    exchange.sendResponseHeaders(204, -1);
  }

  private void handlePing(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        respond(exchange, 405, error("use GET /v1/ping"));
        return;
      }
      Optional<String> bearer = bearer(exchange);
      String id = bearer.map(b -> idsByDigest.get(digest(b))).orElse(null);
      DemoKey key = id == null ? null : keysById.get(id);
      if (key == null || key.revokedAt != null) {
        rejected.incrementAndGet();
        respond(exchange, 401, error(bearer.isEmpty() ? "missing bearer key" : "unknown or revoked key"));
        return;
      }
      Instant now = clock.instant();
      key.used(now);
      accepted.incrementAndGet();
      ObjectNode out = JSON.createObjectNode();
      out.put("keyId", key.id);
      out.put("name", key.name);
      out.put("at", now.toString());
      respond(exchange, 200, out);
    }
  }

  private void handleStats(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!adminAuthorised(exchange)) {
        respond(exchange, 401, error("admin token missing or wrong"));
        return;
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("accepted", accepted.get());
      out.put("rejected", rejected.get());
      respond(exchange, 200, out);
    }
  }

  // ---------------------------------------------------------------- internals

  private Optional<KeyInfo> find(String id) {
    return Optional.ofNullable(keysById.get(id)).map(DemoKeyService::info);
  }

  private static KeyInfo info(DemoKey k) {
    return new KeyInfo(k.id, k.name, Optional.ofNullable(k.label), k.createdAt, Optional.ofNullable(k.lastUsedAt.get()),
        Optional.ofNullable(k.revokedAt));
  }

  private boolean adminAuthorised(HttpExchange exchange) {
    if (adminTokenDigest.isEmpty()) {
      return true;
    }
    return bearer(exchange).map(b -> MessageDigest.isEqual(
        digest(b).getBytes(StandardCharsets.US_ASCII), adminTokenDigest.get().getBytes(StandardCharsets.US_ASCII)))
        .orElse(false);
  }

  private static Optional<String> bearer(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String value = header.substring(7).trim();
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  static String digest(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static ObjectNode toJson(KeyInfo k) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", k.id());
    o.put("name", k.name());
    o.put("label", k.label().orElse(null));
    o.put("createdAt", k.createdAt().toString());
    o.put("lastUsedAt", k.lastUsedAt().map(Instant::toString).orElse(null));
    o.put("revokedAt", k.revokedAt().map(Instant::toString).orElse(null));
    o.put("status", k.revokedAt().isPresent() ? "revoked" : "live");
    return o;
  }

  private static ObjectNode error(String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("error", message);
    return o;
  }

  private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  /** One key as the service knows it (never its secret). */
  private static final class DemoKey {
    final String id;
    final String name;
    final String label;
    final Instant createdAt;
    final AtomicReference<Instant> lastUsedAt = new AtomicReference<>();
    volatile Instant revokedAt; // written under lock, once

    DemoKey(String id, String name, String label, Instant createdAt) {
      this.id = id;
      this.name = name;
      this.label = label;
      this.createdAt = createdAt;
    }

    /** Concurrent pings keep the latest instant. */
    void used(Instant at) {
      lastUsedAt.accumulateAndGet(at, (a, b) -> a == null || b.isAfter(a) ? b : a);
    }
  }

  /**
   * A key without its secret.
   *
   * @param id the key id
   * @param name the account it belongs to
   * @param label the label given at creation, if any
   * @param createdAt when it was created
   * @param lastUsedAt when it last authenticated a ping, if ever
   * @param revokedAt when it was revoked, if it was
   */
  public record KeyInfo(String id, String name, Optional<String> label, Instant createdAt, Optional<Instant> lastUsedAt, Optional<Instant> revokedAt) {
    public KeyInfo {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(lastUsedAt, "lastUsedAt");
      Objects.requireNonNull(revokedAt, "revokedAt");
    }

    /** Whether the key still authenticates. */
    public boolean live() {
      return revokedAt.isEmpty();
    }
  }

  /** Settings of a {@link DemoKeyService}. Not thread-safe; build once. */
  public static final class Builder {
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port;
    private Clock clock = Clock.systemUTC();
    private int maxLiveKeys = DEFAULT_MAX_LIVE_KEYS;
    private String adminToken;
    private int threads = 8;

    private Builder() {}

    /** The port to listen on; 0 (default) picks a free one. The address is always loopback. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /** The clock for creation, use and revocation times; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Live keys per account; default {@value #DEFAULT_MAX_LIVE_KEYS} (two during a rotation). */
    public Builder maxLiveKeys(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxLiveKeys must be at least 1, but was " + max);
      }
      this.maxLiveKeys = max;
      return this;
    }

    /** Requires this bearer token on the key endpoints; default none (open). */
    public Builder adminToken(String token) {
      Objects.requireNonNull(token, "adminToken");
      if (token.isBlank()) {
        throw new IllegalArgumentException("adminToken must not be blank");
      }
      this.adminToken = token;
      return this;
    }

    /** Request threads; default 8. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, but was " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Binds and starts serving. */
    public DemoKeyService start() throws IOException {
      DemoKeyService service = new DemoKeyService(this);
      service.server.start();
      return service;
    }
  }
}
