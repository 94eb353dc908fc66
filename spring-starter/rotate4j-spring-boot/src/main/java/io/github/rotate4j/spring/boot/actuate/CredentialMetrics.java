package io.github.rotate4j.spring.boot.actuate;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialException;
import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RotatingCredential;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of every credential in a registry, tagged {@code credential} (its name) and
 * {@code backend} (its backend id) only: never a version or lease id. Every value is read from the
 * credential's status and key ring when the registry is scraped; nothing calls a backend.
 *
 * <table>
 * <caption>Meters (Prometheus names in brackets)</caption>
 * <tr><td>{@code rotate4j.credential.expiry.remaining}</td><td>gauge, seconds to hard expiry, NaN when none ({@code rotate4j_credential_expiry_remaining_seconds})</td></tr>
 * <tr><td>{@code rotate4j.credential.age}</td><td>gauge, seconds since the current version was issued ({@code rotate4j_credential_age_seconds})</td></tr>
 * <tr><td>{@code rotate4j.credential.state}</td><td>gauge per {@code state=up|degraded|down}, 1 for the current one ({@code rotate4j_credential_state})</td></tr>
 * <tr><td>{@code rotate4j.refresh}</td><td>counter per {@code outcome=success|failure} ({@code rotate4j_refresh_total})</td></tr>
 * <tr><td>{@code rotate4j.refresh.consecutive.failures}</td><td>gauge ({@code rotate4j_refresh_consecutive_failures})</td></tr>
 * <tr><td>{@code rotate4j.refresh.last.success.age}</td><td>gauge, seconds since the last successful refresh, NaN before one ({@code rotate4j_refresh_last_success_age_seconds})</td></tr>
 * <tr><td>{@code rotate4j.rotations}</td><td>counter ({@code rotate4j_rotations_total})</td></tr>
 * <tr><td>{@code rotate4j.keyring.match}</td><td>counter per {@code slot=current|pending|previous} ({@code rotate4j_keyring_match_total})</td></tr>
 * <tr><td>{@code rotate4j.keyring.grace.remaining}</td><td>gauge, seconds until the previous key leaves the ring, 0 when none ({@code rotate4j_keyring_grace_remaining_seconds})</td></tr>
 * <tr><td>{@code rotate4j.rotation.overdue}</td><td>gauge, 1 when the secret is past its {@code next_rotation} ({@code rotate4j_rotation_overdue})</td></tr>
 * <tr><td>{@code rotate4j.rotation.overdue.duration}</td><td>gauge, seconds past {@code next_rotation}, 0 when not overdue ({@code rotate4j_rotation_overdue_duration_seconds})</td></tr>
 * <tr><td>{@code rotate4j.circuit.state}</td><td>gauge per {@code state=closed|open|half_open}, 1 for the current one ({@code rotate4j_circuit_state})</td></tr>
 * </table>
 */
public final class CredentialMetrics implements MeterBinder {

  private final CredentialRegistry registry;
  private final Function<String, String> backendOf;
  private final Clock clock;

  /**
   * @param registry the credentials to measure
   * @param backendOf the backend id of a credential, by name
   * @param clock the clock the credentials use (for ages and remaining times)
   */
  public CredentialMetrics(CredentialRegistry registry, Function<String, String> backendOf, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.backendOf = Objects.requireNonNull(backendOf, "backendOf");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    for (String name : registry.names()) {
      bind(meters, registry.get(name), Tags.of("credential", name, "backend", backendOf.apply(name)));
    }
  }

  private void bind(MeterRegistry meters, RotatingCredential c, Tags tags) {
    gauge(meters, "rotate4j.credential.expiry.remaining", "Seconds until the current credential's hard expiry (NaN when it has none)",
        "seconds", tags, c, x -> x.status().expiresAt().map(this::secondsUntil).orElse(Double.NaN));
    gauge(meters, "rotate4j.credential.age", "Seconds since the current version was issued",
        "seconds", tags, c, x -> x.status().issuedAt().map(this::secondsSince).orElse(Double.NaN));
    for (CredentialState state : CredentialState.values()) {
      gauge(meters, "rotate4j.credential.state", "1 for the credential's current state, 0 for the others", null,
          tags.and("state", state.name().toLowerCase(Locale.ROOT)), c, x -> x.status().state() == state ? 1 : 0);
    }
    FunctionCounter.builder("rotate4j.refresh", c, x -> x.status().successfulRefreshes())
        .description("Refresh attempts by outcome").tags(tags).tag("outcome", "success").register(meters);
    FunctionCounter.builder("rotate4j.refresh", c, x -> x.status().failedAttempts())
        .description("Refresh attempts by outcome").tags(tags).tag("outcome", "failure").register(meters);
    gauge(meters, "rotate4j.refresh.consecutive.failures", "Failed refresh attempts since the last success", null,
        tags, c, x -> x.status().consecutiveFailures());
    gauge(meters, "rotate4j.refresh.last.success.age", "Seconds since the last successful refresh",
        "seconds", tags, c, x -> x.status().lastSuccess().map(this::secondsSince).orElse(Double.NaN));
    FunctionCounter.builder("rotate4j.rotations", c, x -> x.status().rotations())
        .description("Version changes of the credential").tags(tags).register(meters);
    for (KeySlot slot : KeySlot.values()) {
      FunctionCounter.builder("rotate4j.keyring.match", c, x -> x.matchCountsBySlot().getOrDefault(slot, 0L))
          .description("Presented keys by the key-ring slot they matched").tags(tags)
          .tag("slot", slot.name().toLowerCase(Locale.ROOT)).register(meters);
    }
    gauge(meters, "rotate4j.keyring.grace.remaining", "Seconds until the previous key leaves the key ring (0 when none)",
        "seconds", tags, c, this::graceRemaining);
    gauge(meters, "rotate4j.rotation.overdue", "1 when the secret is past its next_rotation, else 0", null,
        tags, c, x -> overdueSeconds(x) > 0 ? 1 : 0);
    gauge(meters, "rotate4j.rotation.overdue.duration", "Seconds past next_rotation (0 when not overdue)",
        "seconds", tags, c, this::overdueSeconds);
    for (CircuitBreaker.State state : new CircuitBreaker.State[] {
        CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN}) {
      gauge(meters, "rotate4j.circuit.state", "1 for the circuit breaker's current state, 0 for the others", null,
          tags.and("state", state.name().toLowerCase(Locale.ROOT)), c, x -> x.status().circuitState() == state ? 1 : 0);
    }
  }

  private static void gauge(MeterRegistry meters, String name, String description, String unit, Tags tags,
      RotatingCredential c, ToDoubleFunction<RotatingCredential> f) {
    Gauge.Builder<RotatingCredential> b = Gauge.builder(name, c, f).description(description).tags(tags).strongReference(true);
    if (unit != null) {
      b.baseUnit(unit);
    }
    b.register(meters);
  }

  private double graceRemaining(RotatingCredential c) {
    KeyRing ring;
    try {
      ring = c.keyRing();
    } catch (CredentialException e) {
      return 0;
    }
    Instant now = clock.instant();
    return ring.entries().stream()
        .filter(e -> e.slot() == KeySlot.PREVIOUS && e.isValidAt(now))
        .map(KeyRing.Entry::validUntilTime)
        .flatMap(java.util.Optional::stream)
        .mapToDouble(this::secondsUntil)
        .max().orElse(0);
  }

  private double overdueSeconds(RotatingCredential c) {
    Credential current;
    try {
      current = c.keyRing().current();
    } catch (CredentialException e) {
      return 0;
    }
    return current.nextRotation().map(this::secondsSince).filter(s -> s > 0).orElse(0.0);
  }

  private double secondsUntil(Instant t) {
    return Duration.between(clock.instant(), t).toMillis() / 1000.0;
  }

  private double secondsSince(Instant t) {
    return Duration.between(t, clock.instant()).toMillis() / 1000.0;
  }

}
