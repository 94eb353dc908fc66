package io.github.rotate4j.event;

import java.time.Instant;

/** A static secret is past its planned {@code next_rotation} time and has not been rotated. */
public record CredentialOverdue(String credentialName, Instant time, String version, Instant nextRotation)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onOverdue(this);
  }
}
