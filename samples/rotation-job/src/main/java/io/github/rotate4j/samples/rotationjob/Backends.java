package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.time.Clock;

/** Turns inventory entries into rotators: real stores and issuers, or test doubles. */
interface Backends extends AutoCloseable {

  /**
   * The rotator of one entry, on {@code clock}.
   *
   * @throws RuntimeException when the entry's store or issuer cannot be set up (missing setting)
   */
  Rotator rotator(Inventory inventory, InventoryEntry entry, Clock clock);

  /**
   * Writes the first key of an entry whose store is empty: creates it at the entry's issuer and
   * writes it as the current key. Does nothing (and creates no key) when the store holds one.
   *
   * @return true when written, false when the store already held a key
   * @throws UnsupportedOperationException when the store's first key is written with its own tools
   */
  boolean initialize(InventoryEntry entry, Clock clock);

  /** Releases the clients opened for the stores and issuers (sessions, HTTP clients). */
  @Override
  default void close() {}
}
