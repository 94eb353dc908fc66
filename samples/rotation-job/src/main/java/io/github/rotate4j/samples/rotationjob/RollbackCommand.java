package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationStatus;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rollback NAME}: undoes a secret's latest rotation. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "Undoes the latest rotation of a secret: before promotion the new key is discarded and revoked; "
        + "after promotion the old key becomes current again and the new one is revoked. Refused once the "
        + "old key was revoked.")
final class RollbackCommand implements Callable<Integer> {

  private final RotationJob job;

  @Parameters(paramLabel = "NAME", arity = "1", description = "the secret")
  String name;

  @Option(names = "--dry-run", description = "print what would happen; change nothing at the store or the issuer")
  boolean dryRun;

  RollbackCommand(RotationJob job) {
    this.job = job;
  }

  @Override
  public Integer call() {
    Inventory inventory = job.inventory();
    InventoryEntry entry = RotationJob.select(inventory, java.util.List.of(name)).get(0);
    job.out.println(entry.name() + " (" + entry.store().describe() + ")" + (dryRun ? " - dry run" : ""));
    try {
      Rotator rotator = job.rotator(inventory, entry);
      if (dryRun) {
        job.out.println("  " + plan(rotator.status(job.clock.instant())));
        job.out.println("nothing changed (dry run)");
        return RotationJob.EXIT_OK;
      }
      RotationResult r = rotator.rollback();
      Results.print(job.out, r);
      return Results.exitCode(r);
    } catch (RuntimeException e) {
      job.out.println("  FAILED: " + Messages.of(e));
      return RotationJob.EXIT_FAILED;
    }
  }

  static String plan(RotationStatus s) {
    Optional<RotationJournal> journal = s.journal();
    if (journal.isEmpty()) {
      return "nothing to roll back: no rotation ever ran";
    }
    RotationJournal j = journal.get();
    String newKey = j.newKeyId().map(id -> "new key " + id).orElse("the new key");
    return switch (j.phase()) {
      case ROLLED_BACK -> "nothing to roll back: rotation " + j.rotationId() + " was rolled back already";
      case COMPLETED -> "would refuse: rotation " + j.rotationId() + " completed and its old key was revoked";
      case ROLLBACK -> "would finish the rollback of rotation " + j.rotationId() + " under way";
      case GRACE, REVOKE_OLD -> "would make version " + j.oldVersion() + " current again and revoke " + newKey
          + " (rotation " + j.rotationId() + ")";
      default -> "would discard the pending key of rotation " + j.rotationId() + " (at " + j.phase() + ") and revoke "
          + newKey + "; version " + j.oldVersion() + " stays current";
    };
  }

}
