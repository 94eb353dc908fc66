package io.github.rotate4j.event;

import java.time.Instant;

/**
 * Something that happened to a rotating credential. Events carry versions, times and failure
 * descriptions, never secret values. Delivered to {@link CredentialListener}s off the refresh thread.
 */
public sealed interface CredentialEvent
    permits CredentialCreated, CredentialRotated, CredentialRenewed, RefreshFailed,
        CredentialExpiring, CredentialExpired, CircuitStateChanged, CredentialOverdue {

  /** The credential's name. */
  String credentialName();

  /** When it happened, by the credential's clock. */
  Instant time();

  /** Calls the listener method for this event type. */
  void deliverTo(CredentialListener listener);
}
