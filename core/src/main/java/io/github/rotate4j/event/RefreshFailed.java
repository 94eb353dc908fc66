package io.github.rotate4j.event;

import io.github.rotate4j.FailureKind;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A refresh attempt failed. The last good credential keeps being served until its hard expiry.
 *
 * @param attempt the attempt number within the current refresh cycle, from 1
 * @param kind whether the failure is retried
 * @param nextAttempt when the engine tries again; {@code null} only when a blocking {@code start()}
 *     gives up (the credential then closes); otherwise refresh never stops
 * @param message a description naming backend and path ({@code [vault database/creds/app] …}); never a secret
 * @param error the failure
 */
public record RefreshFailed(
    String credentialName, Instant time, int attempt, FailureKind kind, @Nullable Instant nextAttempt, String message, Throwable error)
    implements CredentialEvent {

  /** When the next attempt is scheduled. */
  public Optional<Instant> nextAttemptTime() {
    return Optional.ofNullable(nextAttempt);
  }

  @Override
  public void deliverTo(CredentialListener listener) {
    listener.onRefreshFailed(this);
  }

  @Override
  public String toString() {
    return "RefreshFailed[credentialName=" + credentialName + ", time=" + time + ", attempt=" + attempt
        + ", kind=" + kind + ", nextAttempt=" + nextAttempt + ", message=" + message + "]";
  }
}
