package io.github.rotate4j.vault;

import static io.github.rotate4j.internal.Checks.positive;

import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.Scheduler;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to one Vault or OpenBao server, shared by every credential read from it: the
 * address, namespace, TLS settings and timeouts, the authentication method and the client token it
 * yields. Works the same against Vault and OpenBao (same HTTP API).
 *
 * <pre>{@code
 * VaultSession vault = VaultSession.builder()
 *     .address("https://vault.example.com:8200")
 *     .auth(VaultAuth.appRole(roleId, Path.of("/run/secrets/secret-id")))
 *     .build();
 * // or, from VAULT_ADDR / VAULT_TOKEN (BAO_ADDR / BAO_TOKEN):
 * VaultSession vault = VaultSession.fromEnvironment();
 * }</pre>
 *
 * <p><b>Token lifecycle.</b> The session logs in on first use. It renews its token at 2/3 of its
 * TTL ({@link #DEFAULT_TOKEN_REFRESH_RATIO}) with ±10% jitter; when the token can no longer be
 * renewed, or a renewal is cut short by its max TTL, it logs in again while the old token is still
 * valid. It never revokes a token it replaces: leases die with the token that created them, so the
 * old token is left to expire and the leases it created are reported by the lease provider as
 * ending no later than that token ({@link VaultLeaseProvider}), which makes the engine replace them
 * under the new token in time.
 *
 * <p><b>Threads.</b> Renewals and logins run on a daemon thread named {@code rotate4j-vault-token-N}
 * owned by the session (scheduled through the {@link Scheduler} and {@link Clock} you may inject),
 * never on the thread that reads a credential. {@link #close()} stops it.
 *
 * <p><b>Thread safety.</b> Safe to share between any number of credentials and threads. Logins are
 * single-flight; no lock is held around network I/O except the login lock.
 *
 * <p><b>Security.</b> TLS verification is on by default; {@link Builder#skipTlsVerification()} turns
 * it off and logs a warning. No token, secret id or JWT is ever logged or put in an exception.
 */
public final class VaultSession implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(VaultSession.class);
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final double DEFAULT_TOKEN_REFRESH_RATIO = 2.0 / 3.0;
  public static final double DEFAULT_TOKEN_JITTER = 0.10;
  /** Longest wait between two attempts to renew or replace a token that failed. */
  static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(10);
  static final Duration MIN_RETRY_DELAY = Duration.ofMillis(250);

  private final VaultTransport transport;
  private final VaultAuth auth;
  private final String backendId;
  private final Clock clock;
  private final Scheduler scheduler;
  private final Executor tokenExecutor;
  private final @Nullable ScheduledExecutorService ownedExecutor;
  private final @Nullable RandomGenerator random;
  private final double refreshRatio;
  private final double jitter;
  private final ReentrantLock loginLock = new ReentrantLock();
  private final AtomicInteger logins = new AtomicInteger();
  private volatile @Nullable SessionToken current;
  private volatile Scheduler.@Nullable Cancellable pending;
  private volatile boolean closed;

  private VaultSession(Builder b, HttpClient http) {
    // build() checked address and auth and defaulted requestTimeout
    this.transport = new VaultTransport(
        Objects.requireNonNull(b.address), b.namespace, http, Objects.requireNonNull(b.requestTimeout));
    this.auth = Objects.requireNonNull(b.auth);
    this.backendId = "vault@" + b.address + (b.namespace == null ? "" : "#" + b.namespace);
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.random = b.random;
    this.refreshRatio = b.refreshRatio;
    this.jitter = b.jitter;
    if (b.scheduler != null && b.executor != null) {
      this.ownedExecutor = null;
      this.scheduler = b.scheduler;
      this.tokenExecutor = b.executor;
    } else {
      ScheduledThreadPoolExecutor exec = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "rotate4j-vault-token-" + THREAD_IDS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      exec.setRemoveOnCancelPolicy(true);
      this.ownedExecutor = exec;
      this.scheduler = b.scheduler != null ? b.scheduler : Scheduler.of(exec);
      this.tokenExecutor = b.executor != null ? b.executor : exec;
    }
  }

  /** Starts configuring a session. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A session configured from the environment, as the {@code vault} and {@code bao} command-line
   * tools are: see {@link Builder#fromEnvironment()}.
   *
   * @throws IllegalArgumentException if no address or token is set
   */
  public static VaultSession fromEnvironment() {
    return builder().fromEnvironment().build();
  }

  /** The server address, e.g. {@code https://vault:8200}. */
  public String address() {
    return transport.address();
  }

  /** Identifies this server (and namespace) for a shared circuit breaker: {@code vault@<address>[#namespace]}. */
  public String backendId() {
    return backendId;
  }

  /**
   * Logs in now if not logged in yet, instead of on first use.
   *
   * @return this
   * @throws io.github.rotate4j.TransientBackendException if Vault cannot be reached
   * @throws PermanentBackendException if the login is refused
   */
  public VaultSession login() {
    token(null);
    return this;
  }

  /** When the current client token ends unless renewed; empty before login or for a token without TTL. */
  public Optional<Instant> tokenExpiresAt() {
    SessionToken st = current;
    return st == null ? Optional.empty() : st.knownEnd();
  }

  /**
   * Stops renewing the token and stops the session's thread. The token is not revoked: leases it
   * created stay valid until they are revoked by their credentials or expire. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    Scheduler.Cancellable p = pending;
    if (p != null) {
      p.cancel();
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "VaultSession[" + backendId + ", " + auth + ", tokenEnd=" + tokenExpiresAt().orElse(null) + "]";
  }

  // ---- used by the providers ----

  /** Successful logins so far (token lookups for token auth); for tests and diagnostics. */
  int logins() {
    return logins.get();
  }

  VaultTransport transport() {
    return transport;
  }

  Clock clock() {
    return clock;
  }

  /**
   * Runs {@code call} with a valid token. If Vault answers 403 and the token may have been revoked
   * behind our back, logs in once more and retries once (only where a new token can be obtained).
   */
  <T> T withToken(@Nullable String credentialName, Function<SessionToken, T> call) {
    SessionToken st = token(credentialName);
    try {
      return call.apply(st);
    } catch (BackendException e) {
      if (!VaultTransport.isPermissionDenied(e) || !auth.canLogIn() || closed) {
        throw e;
      }
      SessionToken fresh = replace(st, credentialName);
      if (fresh == st) {
        throw e;
      }
      return call.apply(fresh);
    }
  }

  /** A token that is valid now, logging in first if there is none or it is about to end. */
  SessionToken token(@Nullable String credentialName) {
    SessionToken st = current;
    if (st != null && usable(st)) {
      return st;
    }
    loginLock.lock();
    try {
      st = current;
      if (st != null && usable(st)) {
        return st;
      }
      checkOpen(credentialName);
      return loginNow();
    } finally {
      loginLock.unlock();
    }
  }

  private boolean usable(SessionToken st) {
    if (!auth.canLogIn()) {
      return true;
    }
    if (auth.changedSince(st.login())) {
      return false;
    }
    return st.knownEnd().map(end -> clock.instant().isBefore(end.minus(margin(st)))).orElse(true);
  }

  /** How close to its end a token is no longer handed out for new requests. */
  private static Duration margin(SessionToken st) {
    Duration sixth = st.login().ttl().dividedBy(6);
    return sixth.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : sixth;
  }

  /** Logs in again unless someone already did since {@code stale} was handed out. */
  private SessionToken replace(SessionToken stale, @Nullable String credentialName) {
    loginLock.lock();
    try {
      if (current != stale && current != null) {
        return current;
      }
      checkOpen(credentialName);
      return loginNow();
    } finally {
      loginLock.unlock();
    }
  }

  private void checkOpen(@Nullable String credentialName) {
    if (closed) {
      throw new PermanentBackendException(credentialName, VaultTransport.BACKEND, auth.loginPath(), "the Vault session is closed", null);
    }
  }

  /** Caller holds the login lock. */
  private SessionToken loginNow() {
    VaultAuth.Login login = auth.login(transport);
    SessionToken st = new SessionToken(login, transport, clock.instant());
    current = st;
    logins.incrementAndGet();
    LOG.info("Vault login at {} ({}): token {}{}", address(), auth.loginPath(),
        login.expires() ? "valid for " + login.ttl() : "without expiry", login.renewable() ? ", renewable" : "");
    planNext(st);
    return st;
  }

  private void planNext(SessionToken st) {
    VaultAuth.Login login = st.login();
    if (!login.expires()) {
      return;
    }
    if (!login.renewable()) {
      if (!auth.canLogIn()) {
        LOG.warn("Vault token from {} is not renewable and cannot be replaced; it ends at {}", auth, st.knownEnd().orElse(null));
        return;
      }
      st.markMustReplace();
    }
    schedule(st, refreshDelay(login.ttl()));
  }

  private Duration refreshDelay(Duration ttl) {
    double factor = refreshRatio * (1 + (jitter > 0 ? (random != null ? random : ThreadLocalRandom.current()).nextDouble(-jitter, jitter) : 0));
    return Duration.ofMillis(Math.max(1, (long) (ttl.toMillis() * factor)));
  }

  private void schedule(SessionToken st, Duration delay) {
    if (closed) {
      return;
    }
    pending = scheduler.schedule(() -> {
      try {
        tokenExecutor.execute(() -> maintain(st));
      } catch (RuntimeException rejected) {
        if (!closed) {
          LOG.warn("Vault token maintenance could not be started: {}", rejected.toString());
        }
      }
    }, delay);
  }

  /** Renews {@code st}, or replaces it by a new login when it can no longer be renewed enough. */
  void maintain(SessionToken st) {
    if (closed || current != st) {
      return;
    }
    try {
      if (!st.mustReplace()) {
        renew(st);
        return;
      }
      loginLock.lock();
      try {
        if (current == st && !closed) {
          loginNow();
        }
      } finally {
        loginLock.unlock();
      }
    } catch (BackendException e) {
      if (e.kind() == FailureKind.PERMANENT && auth.canLogIn()) {
        st.markMustReplace();
      }
      Duration retry = retryDelay(st);
      LOG.warn("Vault token {} failed: {}; next attempt in {}", st.mustReplace() ? "login" : "renewal", e.getMessage(), retry);
      schedule(st, retry);
    } catch (RuntimeException e) {
      Duration retry = retryDelay(st);
      LOG.error("Vault token maintenance failed unexpectedly; next attempt in {}", retry, e);
      schedule(st, retry);
    }
  }

  private void renew(SessionToken st) {
    String path = "auth/token/renew-self";
    long increment = st.login().ttl().toSeconds();
    Vault driver = st.logical();
    Instant before = clock.instant();
    JsonObject body = transport.call(null, path, () -> driver.auth().renewSelf(increment).getRestResponse());
    VaultAuth.Login renewed = VaultAuth.loginFrom(body, path, null);
    Duration granted = renewed.ttl();
    st.extendTo(before.plus(granted));
    // a renewal shorter than asked for means the max TTL is near: log in again before it ends
    boolean capped = granted.compareTo(st.login().ttl().minusSeconds(1)) < 0;
    if (capped && auth.canLogIn()) {
      LOG.debug("Vault token renewal granted {} of {}: the token reaches its max TTL at {}; logging in again",
          granted, st.login().ttl(), st.knownEnd().orElse(null));
      st.markMustReplace();
      schedule(st, Duration.ZERO);
      return;
    }
    if (granted.isZero()) {
      LOG.warn("Vault token can no longer be renewed and cannot be replaced; it ends at {}", st.knownEnd().orElse(null));
      return;
    }
    schedule(st, refreshDelay(granted));
  }

  private Duration retryDelay(SessionToken st) {
    Duration remaining = st.knownEnd().map(end -> Duration.between(clock.instant(), end)).orElse(MAX_RETRY_DELAY);
    Duration d = remaining.dividedBy(4);
    if (d.compareTo(MIN_RETRY_DELAY) < 0) {
      return MIN_RETRY_DELAY;
    }
    return d.compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : d;
  }

  /**
   * Configures a {@link VaultSession}. Not thread-safe; each setting may be made once. Required:
   * an address and an authentication method (or {@link #fromEnvironment()}).
   */
  public static final class Builder {
    private @Nullable String address;
    private @Nullable VaultAuth auth;
    private @Nullable String namespace;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration requestTimeout;
    private @Nullable Path trustPem;
    private @Nullable KeyStore trustStore;
    private boolean skipTlsVerification;
    private @Nullable HttpClient httpClient;
    private @Nullable Clock clock;
    private @Nullable Scheduler scheduler;
    private @Nullable Executor executor;
    private @Nullable RandomGenerator random;
    private double refreshRatio = DEFAULT_TOKEN_REFRESH_RATIO;
    private double jitter = DEFAULT_TOKEN_JITTER;

    private Builder() {}

    /** The server, e.g. {@code https://vault.example.com:8200}; a trailing slash is ignored. */
    public Builder address(String address) {
      Objects.requireNonNull(address, "address");
      URI uri;
      try {
        uri = URI.create(address.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("address must be an http or https URL, but was '" + address + "'", e);
      }
      if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("address must be an http or https URL, but was '" + address + "'");
      }
      String a = uri.toString();
      while (a.endsWith("/")) {
        a = a.substring(0, a.length() - 1);
      }
      this.address = once("address", this.address, a);
      return this;
    }

    public Builder auth(VaultAuth auth) {
      this.auth = once("auth", this.auth, auth);
      return this;
    }

    /** A Vault Enterprise / OpenBao namespace, sent as {@code X-Vault-Namespace}. */
    public Builder namespace(String namespace) {
      Objects.requireNonNull(namespace, "namespace");
      if (namespace.isBlank()) {
        throw new IllegalArgumentException("namespace must not be blank");
      }
      this.namespace = once("namespace", this.namespace, namespace.strip());
      return this;
    }

    /** Time to open a connection (default {@link #DEFAULT_CONNECT_TIMEOUT}); ignored with {@link #httpClient}. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = once("connectTimeout", this.connectTimeout, positive("connectTimeout", timeout));
      return this;
    }

    /**
     * Time one request may take (default {@link #DEFAULT_REQUEST_TIMEOUT}). Requests made through
     * the driver round it up to whole seconds.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = once("requestTimeout", this.requestTimeout, positive("requestTimeout", timeout));
      return this;
    }

    /** Trusts the CA certificate(s) in this PEM file (like {@code VAULT_CACERT}) instead of the JDK's. */
    public Builder trustPem(Path pemFile) {
      this.trustPem = once("trustPem", this.trustPem, pemFile);
      return this;
    }

    /** Trusts the certificates in this key store instead of the JDK's. */
    public Builder trustStore(KeyStore trustStore) {
      this.trustStore = once("trustStore", this.trustStore, trustStore);
      return this;
    }

    /**
     * Turns TLS certificate and host name verification off. For development only; logged as a
     * warning when the session is built.
     */
    public Builder skipTlsVerification() {
      if (skipTlsVerification) {
        throw new IllegalStateException("skipTlsVerification was already set");
      }
      this.skipTlsVerification = true;
      return this;
    }

    /**
     * Uses this HTTP client for every request; TLS and connect-timeout settings are then the
     * client's own. The caller keeps ownership.
     */
    public Builder httpClient(HttpClient client) {
      this.httpClient = once("httpClient", this.httpClient, client);
      return this;
    }

    /** The clock for token lifetimes and lease expiries (default {@link Clock#systemUTC()}). */
    public Builder clock(Clock clock) {
      this.clock = once("clock", this.clock, clock);
      return this;
    }

    /** Schedules token renewals (default: the session's own {@code rotate4j-vault-token-N} thread). */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = once("scheduler", this.scheduler, scheduler);
      return this;
    }

    /** Runs token renewals and logins, which do network I/O (default: the session's own thread). */
    public Builder executor(Executor executor) {
      this.executor = once("executor", this.executor, executor);
      return this;
    }

    /** The source of jitter (default: a thread-local random). */
    public Builder random(RandomGenerator random) {
      this.random = once("random", this.random, random);
      return this;
    }

    /** Fraction of the token TTL after which it is renewed, in (0, 1); default 2/3. */
    public Builder tokenRefreshRatio(double ratio) {
      if (!(ratio > 0 && ratio < 1)) {
        throw new IllegalArgumentException("tokenRefreshRatio must be between 0 and 1 (exclusive), but was " + ratio);
      }
      this.refreshRatio = ratio;
      return this;
    }

    /** Random spread of each renewal time, in [0, 0.5]; default 0.10 (±10%). */
    public Builder tokenJitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 0.5)) {
        throw new IllegalArgumentException("tokenJitter must be between 0 and 0.5, but was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Fills what is not set yet from the environment, like the {@code vault} and {@code bao} CLIs:
     * {@code BAO_ADDR} or {@code VAULT_ADDR}; {@code BAO_TOKEN} or {@code VAULT_TOKEN} (token auth,
     * when no auth is set); {@code BAO_NAMESPACE} or {@code VAULT_NAMESPACE}; {@code BAO_CACERT} or
     * {@code VAULT_CACERT}; {@code BAO_SKIP_VERIFY} or {@code VAULT_SKIP_VERIFY}. The {@code BAO_}
     * variable wins when both are set.
     *
     * @throws IllegalArgumentException if neither address variable is set
     */
    public Builder fromEnvironment() {
      return fromEnvironment(System::getenv);
    }

    Builder fromEnvironment(UnaryOperator<String> env) {
      Function<String, String> var = name -> {
        String bao = env.apply("BAO_" + name);
        if (bao != null && !bao.isBlank()) {
          return bao.strip();
        }
        String vault = env.apply("VAULT_" + name);
        return vault == null || vault.isBlank() ? null : vault.strip();
      };
      if (address == null) {
        String a = var.apply("ADDR");
        if (a == null) {
          throw new IllegalArgumentException("no Vault address: set BAO_ADDR or VAULT_ADDR");
        }
        address(a);
      }
      if (auth == null) {
        String t = var.apply("TOKEN");
        if (t != null) {
          auth(VaultAuth.token(t));
        }
      }
      String ns = var.apply("NAMESPACE");
      if (namespace == null && ns != null) {
        namespace(ns);
      }
      String ca = var.apply("CACERT");
      if (trustPem == null && trustStore == null && ca != null) {
        trustPem(Path.of(ca));
      }
      String skip = var.apply("SKIP_VERIFY");
      if (!skipTlsVerification && skip != null && (skip.equals("1") || skip.equalsIgnoreCase("true"))) {
        skipTlsVerification();
      }
      return this;
    }

    /**
     * Builds the session. It logs in on first use (or on {@link VaultSession#login()}).
     *
     * @throws IllegalStateException if address or auth is missing, or TLS settings conflict
     * @throws IllegalArgumentException if the trust PEM file cannot be read
     */
    public VaultSession build() {
      if (address == null) {
        throw new IllegalStateException("address must be set (or use fromEnvironment())");
      }
      if (auth == null) {
        throw new IllegalStateException("auth must be set (e.g. VaultAuth.token(...) or VAULT_TOKEN with fromEnvironment())");
      }
      if (skipTlsVerification && (trustPem != null || trustStore != null)) {
        throw new IllegalStateException("skipTlsVerification cannot be combined with trustPem or trustStore");
      }
      if (trustPem != null && trustStore != null) {
        throw new IllegalStateException("trustPem and trustStore cannot both be set");
      }
      if (httpClient != null && (skipTlsVerification || trustPem != null || trustStore != null || connectTimeout != null)) {
        throw new IllegalStateException("TLS and connect timeout settings belong to the HttpClient given; set them there");
      }
      if (requestTimeout == null) {
        requestTimeout = DEFAULT_REQUEST_TIMEOUT;
      }
      HttpClient http = httpClient != null ? httpClient : buildHttpClient();
      return new VaultSession(this, http);
    }

    private HttpClient buildHttpClient() {
      HttpClient.Builder b = HttpClient.newBuilder()
          // HTTP/1.1: Vault Agent's proxy does not speak h2c
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(connectTimeout != null ? connectTimeout : DEFAULT_CONNECT_TIMEOUT);
      try {
        if (skipTlsVerification) {
          LOG.warn("TLS verification is OFF for Vault at {}: certificates and host names are not checked. "
              + "Never do this in production.", address);
          SSLContext ctx = SSLContext.getInstance("TLS");
          ctx.init(null, new TrustManager[] {new TrustEverything()}, new SecureRandom());
          b.sslContext(ctx);
        } else if (trustPem != null || trustStore != null) {
          KeyStore ks = trustStore != null ? trustStore : loadPem(Objects.requireNonNull(trustPem));
          TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
          tmf.init(ks);
          // "TLS" negotiates the best version both sides support (1.3 where available)
          SSLContext ctx = SSLContext.getInstance("TLS");
          ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
          b.sslContext(ctx);
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS for Vault at " + address + ": " + e.getMessage(), e);
      }
      return b.build();
    }

    private static KeyStore loadPem(Path pem) throws GeneralSecurityException {
      try (InputStream in = Files.newInputStream(pem)) {
        Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        if (certs.isEmpty()) {
          throw new IllegalArgumentException("trust PEM file " + pem + " holds no certificate");
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
          ks.setCertificateEntry("vault-ca-" + i++, c);
        }
        return ks;
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read trust PEM file " + pem + ": " + e.getMessage(), e);
      }
    }

    private static <T> T once(String setting, @Nullable T current, T value) {
      Objects.requireNonNull(value, setting);
      if (current != null) {
        throw new IllegalStateException(setting + " was already set");
      }
      return value;
    }
  }

  /** Accepts every certificate and host name; only behind {@link Builder#skipTlsVerification()}. */
  private static final class TrustEverything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

}
