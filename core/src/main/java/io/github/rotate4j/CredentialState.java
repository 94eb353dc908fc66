package io.github.rotate4j;

/** Health of a rotating credential. */
public enum CredentialState {
  /** Serving a credential and the last refresh succeeded. */
  UP,
  /** Serving the last good credential while refreshes fail; it has not reached its hard expiry. */
  DEGRADED,
  /** No usable credential: not fetched yet (lazy start), expired without replacement, or closed. */
  DOWN
}
