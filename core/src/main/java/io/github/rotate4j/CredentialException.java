package io.github.rotate4j;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Root of every exception Rotate4j throws. Unchecked. Carries the credential name, backend and path
 * it concerns, and its message names them too; no message ever contains a secret value.
 */
public class CredentialException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final @Nullable String credentialName;
  private final @Nullable String backend;
  private final @Nullable String path;
  private final String reason;

  /**
   * @param credentialName the credential concerned, or {@code null} if unknown here
   * @param backend the backend kind (e.g. {@code vault}), or {@code null}
   * @param path the backend path or secret id, or {@code null}
   * @param message what went wrong; must not contain a secret
   * @param cause the cause, or {@code null}
   */
  public CredentialException(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message, @Nullable Throwable cause) {
    super(describe(credentialName, backend, path, message), cause);
    this.credentialName = credentialName;
    this.backend = backend;
    this.path = path;
    this.reason = message;
  }

  /** What went wrong, without the credential/backend/path prefix of {@link #getMessage()}. */
  public String reason() {
    return reason;
  }

  private static String describe(@Nullable String credentialName, @Nullable String backend, @Nullable String path, String message) {
    StringBuilder sb = new StringBuilder();
    if (credentialName != null) {
      sb.append("credential '").append(credentialName).append("'");
    }
    if (backend != null) {
      sb.append(sb.length() > 0 ? " " : "").append("[").append(backend);
      if (path != null) {
        sb.append(" ").append(path);
      }
      sb.append("]");
    } else if (path != null) {
      sb.append(sb.length() > 0 ? " " : "").append("[").append(path).append("]");
    }
    return sb.length() == 0 ? message : sb.append(": ").append(message).toString();
  }

  /** The credential this concerns. */
  public Optional<String> credentialName() {
    return Optional.ofNullable(credentialName);
  }

  /** The backend kind, e.g. {@code vault}, {@code aws-secretsmanager}, {@code file}. */
  public Optional<String> backend() {
    return Optional.ofNullable(backend);
  }

  /** The backend path or secret id. */
  public Optional<String> path() {
    return Optional.ofNullable(path);
  }
}
