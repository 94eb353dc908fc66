package io.github.rotate4j;

import java.util.Objects;

/**
 * The outcome of matching a presented key against a {@link KeyRing}: which version it is and where
 * that version sits in the ring.
 *
 * @param version the matched credential's version id
 * @param slot where the version sits: current, pending or previous
 */
public record KeyMatch(String version, KeySlot slot) {
  public KeyMatch {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(slot, "slot");
  }
}
