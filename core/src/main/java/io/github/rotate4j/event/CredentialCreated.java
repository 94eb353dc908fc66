package io.github.rotate4j.event;

import java.time.Instant;

/** The first credential was fetched. */
public record CredentialCreated(String credentialName, Instant time, String version) implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onCreated(this);
  }
}
