package io.github.rotate4j.event;

import java.time.Duration;
import java.time.Instant;

/** The current credential is close to its hard expiry and has not been renewed or replaced yet. */
public record CredentialExpiring(String credentialName, Instant time, String version, Duration remaining)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onExpiring(this);
  }
}
