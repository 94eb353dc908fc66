package io.github.rotate4j.spi;

import io.github.rotate4j.KeyRing;
import java.util.Objects;
import java.util.Optional;

/**
 * What a provider is told about a fetch: which credential asks, why, and the ring it holds now so
 * that the provider can skip reading versions it already has (cheap change detection).
 *
 * @param credentialName the name of the credential asking, for error messages
 * @param reason why the fetch happens
 * @param knownRing the ring currently served, if any
 */
public record FetchContext(String credentialName, FetchReason reason, Optional<KeyRing> knownRing) {
  public FetchContext {
    Objects.requireNonNull(credentialName, "credentialName");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(knownRing, "knownRing");
  }

  /** A context for a first fetch, with no known ring. */
  public static FetchContext startup(String credentialName) {
    return new FetchContext(credentialName, FetchReason.STARTUP, Optional.empty());
  }
}
