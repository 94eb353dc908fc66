package io.github.rotate4j.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings under {@code rotate4j.*}. They only map onto the core and provider builders: a setting
 * left out keeps the builder's default (listed on each field), so the defaults are those of {@link
 * io.github.rotate4j.RefreshPolicy} and {@link io.github.rotate4j.RotatingCredentialBuilder}.
 *
 * <pre>{@code
 * rotate4j:
 *   vault:
 *     address: https://vault.example.com:8200
 *     auth:
 *       method: kubernetes
 *       role: orders
 *   credentials:
 *     orders-db:
 *       source: vault-lease
 *       path: database/creds/orders
 *   datasource:
 *     credential: orders-db
 * }</pre>
 *
 * <p>An unknown setting under {@code rotate4j.credentials.<name>} or an invalid value fails
 * start-up with a message that names the property and the allowed values.
 */
@ConfigurationProperties(prefix = "rotate4j")
public class Rotate4jProperties {

  /** Whether Rotate4j's auto-configuration is on. */
  private boolean enabled = true;

  /** The Vault or OpenBao server the {@code vault-*} sources read from. */
  private final Vault vault = new Vault();

  /** AWS Secrets Manager settings for the {@code aws} source. */
  private final Aws aws = new Aws();

  /** The credential that Spring Boot's HikariCP {@code DataSource} logs in with. */
  private final DataSource datasource = new DataSource();

  /** Named credentials, by name; the name is the bean name and qualifier of each. */
  private final Map<String, Credential> credentials = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Vault getVault() {
    return vault;
  }

  public Aws getAws() {
    return aws;
  }

  public DataSource getDatasource() {
    return datasource;
  }

  public Map<String, Credential> getCredentials() {
    return credentials;
  }

  /** {@code rotate4j.datasource.*}. */
  public static class DataSource {

    /**
     * Name of the credential (under {@code rotate4j.credentials}) that the HikariCP pool logs in
     * with. Its value must carry a username and password. Unset: the pool is left alone.
     */
    private String credential;

    public String getCredential() {
      return credential;
    }

    public void setCredential(String credential) {
      this.credential = credential;
    }
  }

  /** {@code rotate4j.vault.*}: one session shared by every Vault credential. */
  public static class Vault {

    /** Server address, e.g. {@code https://127.0.0.1:8200}. Default: {@code BAO_ADDR} or {@code VAULT_ADDR}. */
    private String address;

    /** Enterprise / OpenBao namespace. Default: {@code BAO_NAMESPACE} or {@code VAULT_NAMESPACE}. */
    private String namespace;

    /** Connect timeout. Default 5 s. */
    private Duration connectTimeout;

    /** Timeout of each request. Default 10 s. */
    private Duration requestTimeout;

    /** TLS settings. */
    private final Tls tls = new Tls();

    /** How to log in. Default: token auth from {@code BAO_TOKEN} or {@code VAULT_TOKEN}. */
    private final Auth auth = new Auth();

    public String getAddress() {
      return address;
    }

    public void setAddress(String address) {
      this.address = address;
    }

    public String getNamespace() {
      return namespace;
    }

    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public Duration getRequestTimeout() {
      return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
    }

    public Tls getTls() {
      return tls;
    }

    public Auth getAuth() {
      return auth;
    }
  }

  /** {@code rotate4j.vault.tls.*}. Verification is on unless switched off explicitly. */
  public static class Tls {

    /** PEM file with the CA certificate(s) to trust. Default: {@code BAO_CACERT} or {@code VAULT_CACERT}, else the JDK's trust store. */
    private Path trustPem;

    /** Turns certificate verification off (logged as a warning). Never do this in production. */
    private boolean skipVerify;

    public Path getTrustPem() {
      return trustPem;
    }

    public void setTrustPem(Path trustPem) {
      this.trustPem = trustPem;
    }

    public boolean isSkipVerify() {
      return skipVerify;
    }

    public void setSkipVerify(boolean skipVerify) {
      this.skipVerify = skipVerify;
    }
  }

  /** {@code rotate4j.vault.auth.*}. */
  public static class Auth {

    /**
     * Login method: {@code token}, {@code token-file}, {@code approle}, {@code kubernetes} or
     * {@code jwt}. Default: {@code token} from the environment.
     */
    private String method;

    /** Literal token ({@code token} method). Prefer {@code token-file} or the environment. */
    private String token;

    /** File holding the token, re-read at each login, e.g. a Vault Agent sink ({@code token-file}). */
    private Path tokenFile;

    /** AppRole role id ({@code approle}). */
    private String roleId;

    /** AppRole secret id ({@code approle}); or use {@code secret-id-file}. */
    private String secretId;

    /** File holding the AppRole secret id ({@code approle}). */
    private Path secretIdFile;

    /** Role to log in as ({@code kubernetes}, {@code jwt}). */
    private String role;

    /**
     * JWT file: the service account token for {@code kubernetes} (default
     * {@code /var/run/secrets/kubernetes.io/serviceaccount/token}), required for {@code jwt}.
     */
    private Path jwtFile;

    /** Mount of the auth method when it is not the default ({@code approle}, {@code kubernetes}, {@code jwt}). */
    private String mount;

    public String getMethod() {
      return method;
    }

    public void setMethod(String method) {
      this.method = method;
    }

    public String getToken() {
      return token;
    }

    public void setToken(String token) {
      this.token = token;
    }

    public Path getTokenFile() {
      return tokenFile;
    }

    public void setTokenFile(Path tokenFile) {
      this.tokenFile = tokenFile;
    }

    public String getRoleId() {
      return roleId;
    }

    public void setRoleId(String roleId) {
      this.roleId = roleId;
    }

    public String getSecretId() {
      return secretId;
    }

    public void setSecretId(String secretId) {
      this.secretId = secretId;
    }

    public Path getSecretIdFile() {
      return secretIdFile;
    }

    public void setSecretIdFile(Path secretIdFile) {
      this.secretIdFile = secretIdFile;
    }

    public String getRole() {
      return role;
    }

    public void setRole(String role) {
      this.role = role;
    }

    public Path getJwtFile() {
      return jwtFile;
    }

    public void setJwtFile(Path jwtFile) {
      this.jwtFile = jwtFile;
    }

    public String getMount() {
      return mount;
    }

    public void setMount(String mount) {
      this.mount = mount;
    }

    @Override
    public String toString() {
      return "Auth[method=" + method + "]"; // never the token or secret id
    }
  }

  /** {@code rotate4j.aws.*}: defaults come from the AWS SDK's usual chains. */
  public static class Aws {

    /** Region, e.g. {@code eu-west-1}. Default: the SDK's region chain ({@code AWS_REGION}, profile, ...). */
    private String region;

    /** Endpoint override, e.g. a VPC endpoint or a local test server. */
    private String endpoint;

    /** Timeout of each API call. Default 5 s. */
    private Duration apiCallTimeout;

    /** Connect timeout. Default 2 s. */
    private Duration connectTimeout;

    /** Static credentials. Default: the SDK's default credentials chain. */
    private final StaticCredentials credentials = new StaticCredentials();

    /** One batched change check for the scheduled polls of every {@code aws} credential. */
    private final ChangeWatch changeWatch = new ChangeWatch();

    public String getRegion() {
      return region;
    }

    public void setRegion(String region) {
      this.region = region;
    }

    public String getEndpoint() {
      return endpoint;
    }

    public void setEndpoint(String endpoint) {
      this.endpoint = endpoint;
    }

    public Duration getApiCallTimeout() {
      return apiCallTimeout;
    }

    public void setApiCallTimeout(Duration apiCallTimeout) {
      this.apiCallTimeout = apiCallTimeout;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public StaticCredentials getCredentials() {
      return credentials;
    }

    public ChangeWatch getChangeWatch() {
      return changeWatch;
    }
  }

  /**
   * {@code rotate4j.aws.change-watch.*}: scheduled polls of all {@code aws} credentials answered from
   * one {@code BatchGetSecretValue} per max age (needs {@code secretsmanager:BatchGetSecretValue}).
   */
  public static class ChangeWatch {

    /** Whether the scheduled polls share one batched change check. Default false. */
    private boolean enabled;

    /** How old the batch's observation may be before a poll asks again. Default 5 min. */
    private Duration maxAge;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }
  }

  /** {@code rotate4j.aws.credentials.*}: both keys or neither. */
  public static class StaticCredentials {

    /** Access key id. */
    private String accessKeyId;

    /** Secret access key. */
    private String secretAccessKey;

    /** Session token, for temporary credentials. */
    private String sessionToken;

    public String getAccessKeyId() {
      return accessKeyId;
    }

    public void setAccessKeyId(String accessKeyId) {
      this.accessKeyId = accessKeyId;
    }

    public String getSecretAccessKey() {
      return secretAccessKey;
    }

    public void setSecretAccessKey(String secretAccessKey) {
      this.secretAccessKey = secretAccessKey;
    }

    public String getSessionToken() {
      return sessionToken;
    }

    public void setSessionToken(String sessionToken) {
      this.sessionToken = sessionToken;
    }

    @Override
    public String toString() {
      return "StaticCredentials[accessKeyId=" + accessKeyId + "]";
    }
  }

  /** {@code rotate4j.credentials.<name>.*}. */
  public static class Credential {

    /**
     * Where the secret comes from: {@code vault-kv} (KV v2), {@code vault-lease} (a path that
     * returns a lease, e.g. {@code database/creds/<role>}), {@code vault-static-role}
     * ({@code database/static-creds/<role>}), {@code aws} (Secrets Manager), {@code file} (a file or
     * a directory of files) or {@code in-memory} (needs rotate4j-test; for tests and demos).
     */
    private String source;

    /**
     * The secret's path: for {@code vault-kv} the path inside the KV mount, for the other Vault
     * sources the full API path, for {@code file} the file or directory, for {@code in-memory} a label.
     */
    private String path;

    /**
     * KV v2 mount for {@code vault-kv} (default {@code secret}); for {@code vault-static-role}, the
     * database secrets engine's mount, with {@code path} the role name (otherwise {@code path} is
     * the full {@code <mount>/static-creds/<role>}).
     */
    private String mount;

    /** Secret name or ARN ({@code aws}). */
    private String secretId;

    /**
     * Value format: for {@code aws} one of {@code auto} (default), {@code string}, {@code json},
     * {@code binary}, {@code username-password}; for {@code file} one of {@code text} (default),
     * {@code binary}, {@code properties}, {@code username-password}.
     */
    private String format;

    /** Field of a key/value secret that holds the key compared by {@code verify} and sent by {@code call}. */
    private String keyField;

    /**
     * {@code vault-lease}: the role's max TTL, when the token may not read it from the role
     * ({@code <mount>/roles/<role>}, which is tried otherwise). With it the first replacement of a
     * renewable lease is drawn over the lease's whole life, so a fleet started together does not
     * replace its leases all at once.
     */
    private Duration maxTtl;

    /** Username key or file name for {@code file} with format {@code username-password}. Default {@code username}. */
    private String usernameKey;

    /** Password key or file name for {@code file} with format {@code username-password}. Default {@code password}. */
    private String passwordKey;

    /** Initial value ({@code in-memory}). */
    private String value;

    /** Starts without a value instead of failing start-up when the first fetch fails. Default false. */
    private Boolean lazyStart;

    /** Revokes the leases this process obtained when it shuts down. Default true. */
    private Boolean revokeOnClose;

    /** Refresh timing. */
    private final Refresh refresh = new Refresh();

    /** Retries within one refresh cycle. */
    private final Retry retry = new Retry();

    /** Circuit breaker of this credential. */
    private final CircuitBreaker circuitBreaker = new CircuitBreaker();

    public String getSource() {
      return source;
    }

    public void setSource(String source) {
      this.source = source;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public String getMount() {
      return mount;
    }

    public void setMount(String mount) {
      this.mount = mount;
    }

    public String getSecretId() {
      return secretId;
    }

    public void setSecretId(String secretId) {
      this.secretId = secretId;
    }

    public String getFormat() {
      return format;
    }

    public void setFormat(String format) {
      this.format = format;
    }

    public Duration getMaxTtl() {
      return maxTtl;
    }

    public void setMaxTtl(Duration maxTtl) {
      this.maxTtl = maxTtl;
    }

    public String getKeyField() {
      return keyField;
    }

    public void setKeyField(String keyField) {
      this.keyField = keyField;
    }

    public String getUsernameKey() {
      return usernameKey;
    }

    public void setUsernameKey(String usernameKey) {
      this.usernameKey = usernameKey;
    }

    public String getPasswordKey() {
      return passwordKey;
    }

    public void setPasswordKey(String passwordKey) {
      this.passwordKey = passwordKey;
    }

    public String getValue() {
      return value;
    }

    public void setValue(String value) {
      this.value = value;
    }

    public Boolean getLazyStart() {
      return lazyStart;
    }

    public void setLazyStart(Boolean lazyStart) {
      this.lazyStart = lazyStart;
    }

    public Boolean getRevokeOnClose() {
      return revokeOnClose;
    }

    public void setRevokeOnClose(Boolean revokeOnClose) {
      this.revokeOnClose = revokeOnClose;
    }

    public Refresh getRefresh() {
      return refresh;
    }

    public Retry getRetry() {
      return retry;
    }

    public CircuitBreaker getCircuitBreaker() {
      return circuitBreaker;
    }

    @Override
    public String toString() {
      return "Credential[source=" + source + ", path=" + path + "]"; // never the in-memory value
    }
  }

  /** {@code rotate4j.credentials.<name>.refresh.*}: maps onto {@link io.github.rotate4j.RefreshPolicy}. */
  public static class Refresh {

    /** Fraction of a lease's TTL after which it is refreshed. Default 2/3. */
    private Double ratio;

    /** Random spread around each refresh time, 0 to 0.5. Default 0.1 (±10%). */
    private Double jitter;

    /** Poll interval of secrets without a lease. Default 5 min. */
    private Duration interval;

    /** How long the previous version stays valid after a rotation. Default 1 h. */
    private Duration gracePeriod;

    /** Minimum overlap of a replacement lease with the old one. Default: the greater of 1/3 TTL and 60 s, capped by what is left. */
    private Duration minOverlap;

    /** Minimum time between two refreshes forced by rejections. Default 1 s. */
    private Duration rejectionRateLimit;

    /** How long start-up waits for the first value. Default 30 s. */
    private Duration startupTimeout;

    /** Timeout of one backend call. Default 10 s. */
    private Duration attemptTimeout;

    /** Retry cadence once a credential is down. Default 30 s. */
    private Duration recoveryInterval;

    /** Remaining time below which an expiring event is published. Default 5 min. */
    private Duration expiryWarning;

    public Double getRatio() {
      return ratio;
    }

    public void setRatio(Double ratio) {
      this.ratio = ratio;
    }

    public Double getJitter() {
      return jitter;
    }

    public void setJitter(Double jitter) {
      this.jitter = jitter;
    }

    public Duration getInterval() {
      return interval;
    }

    public void setInterval(Duration interval) {
      this.interval = interval;
    }

    public Duration getGracePeriod() {
      return gracePeriod;
    }

    public void setGracePeriod(Duration gracePeriod) {
      this.gracePeriod = gracePeriod;
    }

    public Duration getMinOverlap() {
      return minOverlap;
    }

    public void setMinOverlap(Duration minOverlap) {
      this.minOverlap = minOverlap;
    }

    public Duration getRejectionRateLimit() {
      return rejectionRateLimit;
    }

    public void setRejectionRateLimit(Duration rejectionRateLimit) {
      this.rejectionRateLimit = rejectionRateLimit;
    }

    public Duration getStartupTimeout() {
      return startupTimeout;
    }

    public void setStartupTimeout(Duration startupTimeout) {
      this.startupTimeout = startupTimeout;
    }

    public Duration getAttemptTimeout() {
      return attemptTimeout;
    }

    public void setAttemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = attemptTimeout;
    }

    public Duration getRecoveryInterval() {
      return recoveryInterval;
    }

    public void setRecoveryInterval(Duration recoveryInterval) {
      this.recoveryInterval = recoveryInterval;
    }

    public Duration getExpiryWarning() {
      return expiryWarning;
    }

    public void setExpiryWarning(Duration expiryWarning) {
      this.expiryWarning = expiryWarning;
    }
  }

  /** {@code rotate4j.credentials.<name>.retry.*}: exponential backoff with random spread. */
  public static class Retry {

    /** Attempts per refresh cycle, the first included. Default 4. */
    private Integer maxAttempts;

    /** Wait before the first retry. Default 1 s. */
    private Duration initialBackoff;

    /** Factor applied to the wait after each retry. Default 2. */
    private Double multiplier;

    /** Random spread of each wait, 0 to 1. Default 0.5. */
    private Double randomization;

    /** Longest wait between two attempts. Default 30 s. */
    private Duration maxBackoff;

    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getInitialBackoff() {
      return initialBackoff;
    }

    public void setInitialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
    }

    public Double getMultiplier() {
      return multiplier;
    }

    public void setMultiplier(Double multiplier) {
      this.multiplier = multiplier;
    }

    public Double getRandomization() {
      return randomization;
    }

    public void setRandomization(Double randomization) {
      this.randomization = randomization;
    }

    public Duration getMaxBackoff() {
      return maxBackoff;
    }

    public void setMaxBackoff(Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
    }
  }

  /** {@code rotate4j.credentials.<name>.circuit-breaker.*}: a count-based Resilience4j breaker. */
  public static class CircuitBreaker {

    /** Calls in the sliding window. Default 10. */
    private Integer slidingWindowSize;

    /** Calls needed before the failure rate counts. Default 5. */
    private Integer minimumNumberOfCalls;

    /** Failure rate in percent (transient failures only) at which the breaker opens. Default 50. */
    private Float failureRateThreshold;

    /** How long the breaker stays open before one probe. Default 30 s. */
    private Duration waitDurationInOpenState;

    /** Probes let through while half-open. Default 1. */
    private Integer permittedCallsInHalfOpenState;

    public Integer getSlidingWindowSize() {
      return slidingWindowSize;
    }

    public void setSlidingWindowSize(Integer slidingWindowSize) {
      this.slidingWindowSize = slidingWindowSize;
    }

    public Integer getMinimumNumberOfCalls() {
      return minimumNumberOfCalls;
    }

    public void setMinimumNumberOfCalls(Integer minimumNumberOfCalls) {
      this.minimumNumberOfCalls = minimumNumberOfCalls;
    }

    public Float getFailureRateThreshold() {
      return failureRateThreshold;
    }

    public void setFailureRateThreshold(Float failureRateThreshold) {
      this.failureRateThreshold = failureRateThreshold;
    }

    public Duration getWaitDurationInOpenState() {
      return waitDurationInOpenState;
    }

    public void setWaitDurationInOpenState(Duration waitDurationInOpenState) {
      this.waitDurationInOpenState = waitDurationInOpenState;
    }

    public Integer getPermittedCallsInHalfOpenState() {
      return permittedCallsInHalfOpenState;
    }

    public void setPermittedCallsInHalfOpenState(Integer permittedCallsInHalfOpenState) {
      this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
    }
  }
}
