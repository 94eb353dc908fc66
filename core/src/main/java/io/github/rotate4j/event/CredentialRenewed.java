package io.github.rotate4j.event;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** A lease was renewed in place; {@code expiresAt} is its new end. */
public record CredentialRenewed(String credentialName, Instant time, String version, @Nullable Instant expiresAt)
    implements CredentialEvent {
  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onRenewed(this);
  }
}
