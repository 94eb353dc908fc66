package io.github.rotate4j;

/** The place of a credential in a {@link KeyRing}. */
public enum KeySlot {
  /** The key to send: the newest promoted version. */
  CURRENT,
  /** A staged key the backend already knows but has not promoted yet (e.g. AWSPENDING). */
  PENDING,
  /** An older key still inside its grace window (e.g. AWSPREVIOUS, KV version n-1). */
  PREVIOUS
}
