package io.github.rotate4j.event;

import java.time.Instant;

/** The current credential reached its hard expiry without a replacement: {@code get()} now throws. */
public record CredentialExpired(String credentialName, Instant time, String version) implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onExpired(this);
  }
}
