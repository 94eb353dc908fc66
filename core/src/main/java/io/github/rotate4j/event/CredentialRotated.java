package io.github.rotate4j.event;

import java.time.Instant;

/** A new version became current; the old one stays in the key ring for its grace window. */
public record CredentialRotated(String credentialName, Instant time, String previousVersion, String newVersion)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onRotated(this);
  }
}
