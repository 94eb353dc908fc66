package io.github.rotate4j.spring.boot.actuate;

import io.github.rotate4j.CredentialStatus;
import io.github.rotate4j.RotatingCredential;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of one credential, read from {@link RotatingCredential#status()}: a probe never calls a
 * backend. UP while the credential is fresh, UP with {@code state: DEGRADED} while the last good
 * credential is served from memory because refreshes fail, DOWN when there is no usable credential
 * (expired without a replacement, not fetched yet, or closed). Details: state, version, issued-at,
 * expires-at, next refresh, last success, consecutive failures, circuit state and the last failure
 * (time, kind, message), never a secret.
 */
final class CredentialHealthIndicator implements HealthIndicator {

  private final RotatingCredential credential;
  private final String backend;

  CredentialHealthIndicator(RotatingCredential credential, String backend) {
    this.credential = credential;
    this.backend = backend;
  }

  @Override
  public Health health() {
    CredentialStatus s = credential.status();
    Health.Builder b = switch (s.state()) {
      case UP -> Health.up();
      case DEGRADED -> Health.up().withDetail("degraded", "serving the last good credential while refreshes fail");
      case DOWN -> Health.down();
    };
    b.withDetail("state", s.state().name());
    b.withDetail("backend", backend);
    s.currentVersion().ifPresent(v -> b.withDetail("version", v));
    s.issuedAt().ifPresent(t -> b.withDetail("issuedAt", t.toString()));
    s.expiresAt().ifPresent(t -> b.withDetail("expiresAt", t.toString()));
    s.nextRefresh().ifPresent(t -> b.withDetail("nextRefresh", t.toString()));
    s.lastSuccess().ifPresent(t -> b.withDetail("lastSuccess", t.toString()));
    b.withDetail("consecutiveFailures", s.consecutiveFailures());
    b.withDetail("circuit", s.circuitState().name());
    s.lastFailure().ifPresent(f -> b.withDetail("lastFailure",
        java.util.Map.of("time", f.time().toString(), "kind", f.kind().name(), "message", f.message())));
    return b.build();
  }
}
