package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of a rotating credential, for health checks and dashboards. Immutable;
 * contains versions and times, never a secret.
 */
public final class CredentialStatus {

  /** The last failure seen: when, what kind, and a message that names the backend path. */
  public record Failure(Instant time, FailureKind kind, String message) {}

  private final String name;
  private final CredentialState state;
  private final @Nullable String currentVersion;
  private final @Nullable Instant issuedAt;
  private final @Nullable Instant expiresAt;
  private final @Nullable Instant lastSuccess;
  private final @Nullable Failure lastFailure;
  private final int consecutiveFailures;
  private final @Nullable Instant nextRefresh;
  private final CircuitBreaker.State circuitState;
  private final long successfulRefreshes;
  private final long failedAttempts;
  private final long rotations;

  CredentialStatus(
      String name,
      CredentialState state,
      @Nullable String currentVersion,
      @Nullable Instant issuedAt,
      @Nullable Instant expiresAt,
      @Nullable Instant lastSuccess,
      @Nullable Failure lastFailure,
      int consecutiveFailures,
      @Nullable Instant nextRefresh,
      CircuitBreaker.State circuitState,
      long successfulRefreshes,
      long failedAttempts,
      long rotations) {
    this.name = name;
    this.state = state;
    this.currentVersion = currentVersion;
    this.issuedAt = issuedAt;
    this.expiresAt = expiresAt;
    this.lastSuccess = lastSuccess;
    this.lastFailure = lastFailure;
    this.consecutiveFailures = consecutiveFailures;
    this.nextRefresh = nextRefresh;
    this.circuitState = circuitState;
    this.successfulRefreshes = successfulRefreshes;
    this.failedAttempts = failedAttempts;
    this.rotations = rotations;
  }

  public String name() {
    return name;
  }

  public CredentialState state() {
    return state;
  }

  /** Version of the credential {@code get()} returns, or the expired one when DOWN after expiry. */
  public Optional<String> currentVersion() {
    return Optional.ofNullable(currentVersion);
  }

  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(issuedAt);
  }

  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  public Optional<Instant> lastSuccess() {
    return Optional.ofNullable(lastSuccess);
  }

  public Optional<Failure> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }

  /** Failed attempts since the last success. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** When the next refresh, renewal or retry is scheduled. */
  public Optional<Instant> nextRefresh() {
    return Optional.ofNullable(nextRefresh);
  }

  /** State of the circuit breaker in front of the backend. */
  public CircuitBreaker.State circuitState() {
    return circuitState;
  }

  /** Fetches and renewals that succeeded since start, the first fetch included (monotonic, for metrics). */
  public long successfulRefreshes() {
    return successfulRefreshes;
  }

  /** Backend attempts that failed since start, retries included (monotonic, for metrics). */
  public long failedAttempts() {
    return failedAttempts;
  }

  /** Version changes of the current credential since start (monotonic, for metrics). */
  public long rotations() {
    return rotations;
  }

  @Override
  public String toString() {
    return "CredentialStatus[name=" + name + ", state=" + state + ", version=" + currentVersion
        + ", issuedAt=" + issuedAt + ", expiresAt=" + expiresAt + ", lastSuccess=" + lastSuccess
        + ", lastFailure=" + lastFailure + ", consecutiveFailures=" + consecutiveFailures
        + ", nextRefresh=" + nextRefresh + ", circuit=" + circuitState + ", successfulRefreshes="
        + successfulRefreshes + ", failedAttempts=" + failedAttempts + ", rotations=" + rotations + "]";
  }
}
