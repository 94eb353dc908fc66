package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.RotationStatus;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code report}: due and overdue secrets, read from their stores; changes nothing. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Shows every secret's last rotation, due time and state (ok, due, overdue); changes nothing. "
        + "Exit code 1 when a secret is overdue, 4 when one could not be read.")
final class ReportCommand implements Callable<Integer> {

  private final RotationJob job;

  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;

  ReportCommand(RotationJob job) {
    this.job = job;
  }

  @Override
  public Integer call() {
    Inventory inventory = job.inventory();
    Instant now = job.clock.instant();
    List<Report.Row> rows = new ArrayList<>();
    for (InventoryEntry entry : inventory.entries()) {
      try {
        RotationStatus status = job.rotator(inventory, entry).status(now);
        rows.add(new Report.Row(entry, Optional.of(status), Optional.empty()));
      } catch (RuntimeException e) {
        rows.add(new Report.Row(entry, Optional.empty(), Optional.of(Messages.of(e))));
      }
    }
    Report report = new Report(inventory, now, rows);
    if (json) {
      report.printJson(job.out);
    } else {
      report.printTable(job.out);
    }
    return report.exitCode();
  }
}
