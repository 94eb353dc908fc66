package io.github.rotate4j.spi;

/** Why the engine is asking a provider for the secret. */
public enum FetchReason {
  /** The first fetch, while the credential starts. */
  STARTUP,
  /** A scheduled poll or a lease replacement. */
  SCHEDULED,
  /** {@code refreshNow()} was called. */
  ON_DEMAND,
  /** A downstream service rejected the current key. */
  REJECTED
}
