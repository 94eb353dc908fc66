package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code init NAME...}: writes the first key of file stores (for the demo). */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Creates the first key of each named secret at its issuer and writes it to its store, when the "
        + "store is empty. Only for file stores (the demo); Vault and AWS secrets are created with their "
        + "own tools.")
final class InitCommand implements Callable<Integer> {

  private final RotationJob job;

  @Parameters(paramLabel = "NAME", arity = "1..*", description = "the secrets")
  List<String> names;

  InitCommand(RotationJob job) {
    this.job = job;
  }

  @Override
  public Integer call() {
    Inventory inventory = job.inventory();
    int exit = RotationJob.EXIT_OK;
    for (InventoryEntry entry : RotationJob.select(inventory, names)) {
      try {
        boolean written = job.backends.initialize(entry, job.clock);
        job.out.println(entry.name() + ": " + (written ? "first key created at " + entry.issuer().describe()
            + " and written to " + entry.store().describe() : "already holds a key; left unchanged"));
      } catch (RuntimeException e) {
        job.out.println(entry.name() + ": FAILED: " + Messages.of(e));
        exit = RotationJob.EXIT_FAILED;
      }
    }
    return exit;
  }
}
