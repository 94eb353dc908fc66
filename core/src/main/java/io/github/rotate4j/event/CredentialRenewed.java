package io.github.rotate4j.event;

import java.time.Instant;

/** A lease was renewed in place; {@code expiresAt} is its new end. */
public record CredentialRenewed(String credentialName, Instant time, String version, Instant expiresAt)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onRenewed(this);
  }
}
