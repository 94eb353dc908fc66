package io.github.rotate4j.event;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;

/** The circuit breaker in front of the credential's backend changed state. */
public record CircuitStateChanged(
    String credentialName, Instant time, String backendId, CircuitBreaker.State from, CircuitBreaker.State to)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onCircuitStateChanged(this);
  }
}
