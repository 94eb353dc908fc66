package io.github.rotate4j.samples.rotationjob.inventory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The secrets a rotation job looks after, read from a YAML file with {@link InventoryReader}.
 *
 * @param source the file it was read from
 * @param overdueAfter how long after its due time a secret counts as overdue
 * @param entries the secrets, in file order, with unique names
 */
public record Inventory(Path source, Duration overdueAfter, List<InventoryEntry> entries) {

  /** Default {@link #overdueAfter()}: a daily job has one chance to catch up before alarms go off. */
  public static final Duration DEFAULT_OVERDUE_AFTER = Duration.ofDays(1);

  public Inventory {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(overdueAfter, "overdueAfter");
    entries = List.copyOf(entries);
  }

  /** The entry of that name. */
  public Optional<InventoryEntry> entry(String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
