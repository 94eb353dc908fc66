package io.github.rotate4j.spring.boot;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredentialBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Maps {@code rotate4j.credentials.<name>.*} onto the core builder, naming the property on errors. */
final class CredentialSettings {

  static final String PREFIX = "rotate4j";

  /** Settings of one credential, relative to {@code rotate4j.credentials.<name>}. */
  static final List<String> CREDENTIAL_KEYS = List.of(
      "source", "path", "mount", "secret-id", "format", "key-field", "max-ttl", "username-key", "password-key",
      "value", "lazy-start", "revoke-on-close",
      "refresh.ratio", "refresh.jitter", "refresh.interval", "refresh.grace-period", "refresh.min-overlap",
      "refresh.rejection-rate-limit", "refresh.startup-timeout", "refresh.attempt-timeout",
      "refresh.recovery-interval", "refresh.expiry-warning",
      "retry.max-attempts", "retry.initial-backoff", "retry.multiplier", "retry.randomization", "retry.max-backoff",
      "circuit-breaker.sliding-window-size", "circuit-breaker.minimum-number-of-calls",
      "circuit-breaker.failure-rate-threshold", "circuit-breaker.wait-duration-in-open-state",
      "circuit-breaker.permitted-calls-in-half-open-state");

  /** Settings outside {@code rotate4j.credentials}, relative to {@code rotate4j}. */
  static final List<String> TOP_LEVEL_KEYS = List.of(
      "enabled", "datasource.credential",
      "vault.address", "vault.namespace", "vault.connect-timeout", "vault.request-timeout",
      "vault.tls.trust-pem", "vault.tls.skip-verify",
      "vault.auth.method", "vault.auth.token", "vault.auth.token-file", "vault.auth.role-id",
      "vault.auth.secret-id", "vault.auth.secret-id-file", "vault.auth.role", "vault.auth.jwt-file",
      "vault.auth.mount",
      "aws.region", "aws.endpoint", "aws.api-call-timeout", "aws.connect-timeout",
      "aws.credentials.access-key-id", "aws.credentials.secret-access-key", "aws.credentials.session-token",
      "aws.change-watch.enabled", "aws.change-watch.max-age");

  private CredentialSettings() {}

  static String property(String name, String key) {
    return PREFIX + ".credentials." + name + "." + key;
  }

  /**
   * Fails on a {@code rotate4j.*} property that no setting reads (a typo would otherwise be ignored
   * silently). Environment variables are not checked: their names cannot be mapped back safely.
   *
   * @throws SettingException naming the property and the allowed settings
   */
  static void rejectUnknown(Environment environment) {
    ConfigurationPropertyName root = ConfigurationPropertyName.of(PREFIX);
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)
          || source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource) {
        continue;
      }
      for (ConfigurationPropertyName name : (Iterable<ConfigurationPropertyName>) iterable.filter(root::isAncestorOf)::iterator) {
        check(name);
      }
    }
  }

  private static void check(ConfigurationPropertyName name) {
    int n = name.getNumberOfElements();
    if (n >= 2 && name.getElement(1, ConfigurationPropertyName.Form.DASHED).equals("credentials")) {
      if (n < 4) {
        throw new SettingException(name.toString(),
            "unknown setting; a credential is configured under rotate4j.credentials.<name>.<setting>, settings: "
                + String.join(", ", CREDENTIAL_KEYS));
      }
      String key = join(name, 3);
      if (!CREDENTIAL_KEYS.contains(key)) {
        throw new SettingException(name.toString(),
            "unknown setting '" + key + "'; allowed: " + String.join(", ", CREDENTIAL_KEYS));
      }
      return;
    }
    String key = join(name, 1);
    if (!TOP_LEVEL_KEYS.contains(key)) {
      Set<String> allowed = new TreeSet<>(TOP_LEVEL_KEYS);
      allowed.add("credentials.<name>.*");
      throw new SettingException(name.toString(), "unknown setting; allowed under rotate4j: " + String.join(", ", allowed));
    }
  }

  private static String join(ConfigurationPropertyName name, int from) {
    List<String> parts = new ArrayList<>();
    for (int i = from; i < name.getNumberOfElements(); i++) {
      parts.add(name.getElement(i, ConfigurationPropertyName.Form.DASHED));
    }
    return String.join(".", parts);
  }

  /**
   * Applies the settings that are present; absent ones keep the core's defaults.
   *
   * @throws SettingException naming the property whose value the core refused
   */
  static void apply(String name, Rotate4jProperties.Credential c, RotatingCredentialBuilder b) {
    Rotate4jProperties.Refresh r = c.getRefresh();
    RefreshPolicy.Builder policy = RefreshPolicy.custom();
    boolean anyRefresh = false;
    anyRefresh |= set(name, "refresh.ratio", r.getRatio(), policy::refreshRatio);
    anyRefresh |= set(name, "refresh.jitter", r.getJitter(), policy::jitter);
    anyRefresh |= set(name, "refresh.interval", r.getInterval(), policy::refreshInterval);
    anyRefresh |= set(name, "refresh.grace-period", r.getGracePeriod(), policy::gracePeriod);
    anyRefresh |= set(name, "refresh.min-overlap", r.getMinOverlap(), policy::minOverlap);
    anyRefresh |= set(name, "refresh.rejection-rate-limit", r.getRejectionRateLimit(), policy::rejectionRateLimit);
    anyRefresh |= set(name, "refresh.startup-timeout", r.getStartupTimeout(), policy::startupTimeout);
    anyRefresh |= set(name, "refresh.attempt-timeout", r.getAttemptTimeout(), policy::attemptTimeout);
    anyRefresh |= set(name, "refresh.recovery-interval", r.getRecoveryInterval(), policy::recoveryInterval);
    anyRefresh |= set(name, "refresh.expiry-warning", r.getExpiryWarning(), policy::expiryWarning);
    if (anyRefresh) {
      b.refreshPolicy(build(name, "refresh", policy::build));
    }

    Rotate4jProperties.Retry retry = c.getRetry();
    if (retry.getMaxAttempts() != null || retry.getInitialBackoff() != null || retry.getMultiplier() != null
        || retry.getRandomization() != null || retry.getMaxBackoff() != null) {
      b.retryConfig(retryConfig(name, retry));
    }

    Rotate4jProperties.CircuitBreaker cb = c.getCircuitBreaker();
    if (cb.getSlidingWindowSize() != null || cb.getMinimumNumberOfCalls() != null
        || cb.getFailureRateThreshold() != null || cb.getWaitDurationInOpenState() != null
        || cb.getPermittedCallsInHalfOpenState() != null) {
      b.circuitBreakerConfig(circuitBreakerConfig(name, cb));
    }
    if (c.getKeyField() != null) {
      b.keyField(c.getKeyField());
    }
    if (c.getLazyStart() != null) {
      b.lazyStart(c.getLazyStart());
    }
    if (c.getRevokeOnClose() != null) {
      b.revokeOnClose(c.getRevokeOnClose());
    }
  }

  private static RetryConfig retryConfig(String name, Rotate4jProperties.Retry retry) {
    // the core's defaults (RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG), overridden where set
    int maxAttempts = retry.getMaxAttempts() != null ? retry.getMaxAttempts() : 4;
    Duration initial = retry.getInitialBackoff() != null ? retry.getInitialBackoff() : Duration.ofSeconds(1);
    double multiplier = retry.getMultiplier() != null ? retry.getMultiplier() : 2.0;
    double randomization = retry.getRandomization() != null ? retry.getRandomization() : 0.5;
    Duration max = retry.getMaxBackoff() != null ? retry.getMaxBackoff() : Duration.ofSeconds(30);
    requireThat(maxAttempts >= 1, name, "retry.max-attempts", "must be at least 1, but was " + maxAttempts);
    requireThat(!initial.isNegative() && !initial.isZero(), name, "retry.initial-backoff", "must be positive, but was " + initial);
    requireThat(multiplier >= 1.0, name, "retry.multiplier", "must be at least 1, but was " + multiplier);
    requireThat(randomization >= 0 && randomization < 1, name, "retry.randomization",
        "must be at least 0 and below 1, but was " + randomization);
    requireThat(max.compareTo(initial) >= 0, name, "retry.max-backoff",
        "must not be shorter than retry.initial-backoff (" + initial + "), but was " + max);
    RetryConfig defaults = RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG;
    return build(name, "retry", () -> RetryConfig.from(defaults)
        .maxAttempts(maxAttempts)
        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(initial, multiplier, randomization, max))
        .build());
  }

  private static CircuitBreakerConfig circuitBreakerConfig(String name, Rotate4jProperties.CircuitBreaker cb) {
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.from(RotatingCredentialBuilder.DEFAULT_CIRCUIT_BREAKER_CONFIG);
    set(name, "circuit-breaker.sliding-window-size", cb.getSlidingWindowSize(), b::slidingWindowSize);
    set(name, "circuit-breaker.minimum-number-of-calls", cb.getMinimumNumberOfCalls(), b::minimumNumberOfCalls);
    set(name, "circuit-breaker.failure-rate-threshold", cb.getFailureRateThreshold(), b::failureRateThreshold);
    set(name, "circuit-breaker.wait-duration-in-open-state", cb.getWaitDurationInOpenState(), b::waitDurationInOpenState);
    set(name, "circuit-breaker.permitted-calls-in-half-open-state", cb.getPermittedCallsInHalfOpenState(),
        b::permittedNumberOfCallsInHalfOpenState);
    return build(name, "circuit-breaker", b::build);
  }

  private static <T> boolean set(String name, String key, T value, Consumer<T> setter) {
    if (value == null) {
      return false;
    }
    try {
      setter.accept(value);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new SettingException(property(name, key), "invalid value " + value + ": " + e.getMessage(), e);
    }
    return true;
  }

  private static <T> T build(String name, String group, Supplier<T> builder) {
    try {
      return builder.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new SettingException(property(name, group), e.getMessage(), e);
    }
  }

  static void requireThat(boolean condition, String name, String key, String message) {
    if (!condition) {
      throw new SettingException(property(name, key), message);
    }
  }

  /** The value of a required setting. */
  static String required(String name, String key, String value, String source) {
    if (value == null || value.isBlank()) {
      throw new SettingException(property(name, key), "must be set for source " + source);
    }
    return value;
  }

  /** Checks {@code value} against {@code allowed} (case-insensitive, '_' read as '-'). */
  static String oneOf(String name, String key, String value, List<String> allowed, String fallback) {
    if (value == null) {
      return fallback;
    }
    String v = value.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    if (!allowed.contains(v)) {
      throw new SettingException(property(name, key),
          "'" + value + "' is not supported; allowed values: " + String.join(", ", allowed));
    }
    return v;
  }
}
