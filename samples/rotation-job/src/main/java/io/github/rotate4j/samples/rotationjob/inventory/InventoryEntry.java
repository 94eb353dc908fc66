package io.github.rotate4j.samples.rotationjob.inventory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One secret the job rotates.
 *
 * @param name unique name, used on the command line
 * @param description what the secret is for
 * @param owner who answers for it (team, e-mail)
 * @param consumers the applications that use it
 * @param rotationFrequency how often it is rotated
 * @param gracePeriod how long the previous key stays valid after a promotion
 * @param unusedFor how long the issuer must not have seen the old key before it is revoked
 * @param distributionDelay how long a staged key waits before it is verified and promoted
 * @param store where it lives
 * @param issuer who creates and revokes its keys
 */
public record InventoryEntry(String name, String description, String owner, List<String> consumers,
    Duration rotationFrequency, Duration gracePeriod, Duration unusedFor, Duration distributionDelay,
    StoreSpec store, IssuerSpec issuer) {

  public InventoryEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(owner, "owner");
    consumers = List.copyOf(consumers);
    Objects.requireNonNull(rotationFrequency, "rotationFrequency");
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    Objects.requireNonNull(unusedFor, "unusedFor");
    Objects.requireNonNull(distributionDelay, "distributionDelay");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(issuer, "issuer");
  }
}
