package io.github.rotate4j;

/** How a backend failure is treated by the refresh engine. */
public enum FailureKind {
  /** I/O error, timeout, 5xx, throttling (429), open circuit: retried with backoff. */
  TRANSIENT,
  /** Permission denied (403), not found (404), bad configuration, malformed response: not retried. */
  PERMANENT
}
