package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationStatus;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rotate --due} / {@code rotate NAME...}: starts or resumes rotations. */
@Command(name = "rotate", mixinStandardHelpOptions = true,
    description = "Rotates the named secrets, or every due one with --due. A rotation under way (waiting for its "
        + "distribution delay or grace window, or stopped by a crash) is resumed instead of starting a new"
        + " one. Each run goes as far as it can and returns; run again at the time printed to finish.")
final class RotateCommand implements Callable<Integer> {

  private final RotationJob job;

  static final class Selection {
    @Option(names = "--due", required = true, description = "every secret that is due, and every rotation under way")
    boolean due;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "secrets to rotate now, due or not")
    List<String> names;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Selection selection;

  @Option(names = "--dry-run", description = "print what would happen; change nothing at the store or the issuer")
  boolean dryRun;

  RotateCommand(RotationJob job) {
    this.job = job;
  }

  @Override
  public Integer call() {
    Inventory inventory = job.inventory();
    List<InventoryEntry> entries = selection.due ? inventory.entries() : RotationJob.select(inventory, selection.names);
    int exit = RotationJob.EXIT_OK;
    Map<RotationResult.Outcome, Integer> tally = new EnumMap<>(RotationResult.Outcome.class);
    int errors = 0;
    int i = 0;
    for (InventoryEntry entry : entries) {
      i++;
      job.out.println("[" + i + "/" + entries.size() + "] " + entry.name() + " (" + entry.store().describe() + ")"
          + (dryRun ? " - dry run" : ""));
      try {
        Rotator rotator = job.rotator(inventory, entry);
        if (dryRun) {
          job.out.println("  " + plan(rotator.status(job.clock.instant()), selection.due));
          continue;
        }
        RotationResult r = selection.due ? rotator.rotateIfDue() : rotator.rotate();
        Results.print(job.out, r);
        tally.merge(r.outcome(), 1, Integer::sum);
        exit = Results.worst(exit, Results.exitCode(r));
      } catch (RuntimeException e) {
        errors++;
        job.out.println("  FAILED: " + Messages.of(e));
        exit = Results.worst(exit, RotationJob.EXIT_FAILED);
      }
    }
    StringBuilder summary = new StringBuilder(entries.size() + (entries.size() == 1 ? " secret" : " secrets"));
    if (dryRun) {
      summary.append(" checked, nothing changed (dry run)");
    } else {
      summary.append(":");
      tally.forEach((outcome, n) -> summary.append(' ').append(n).append(' ').append(outcome).append(','));
      summary.append(' ').append(errors).append(" errors");
    }
    job.out.println(summary);
    return exit;
  }

  /** What a real run would do, from the status alone. */
  static String plan(RotationStatus s, boolean onlyIfDue) {
    Optional<RotationJournal> active = s.activeRotation();
    if (active.isPresent()) {
      RotationJournal j = active.get();
      String resume = "would resume rotation " + j.rotationId() + " at " + j.phase();
      if (j.phase() == io.github.rotate4j.rotation.RotationPhase.GRACE && j.graceEndsAt().isPresent()) {
        Instant end = j.graceEndsAt().get();
        return resume + (s.checkedAt().isBefore(end)
            ? ": grace window ends at " + Report.time(end) + ", nothing to do before"
            : ": grace window over, would ask whether the old key is still used and revoke it if not");
      }
      return resume;
    }
    String due = s.dueAt().map(t -> t.equals(Instant.EPOCH) ? "never rotated" : "due at " + Report.time(t)).orElse("no due time");
    if (onlyIfDue && !s.due()) {
      return "not due (" + due + "): nothing to do";
    }
    return "would start a new rotation of version " + s.currentVersion() + " (" + due + (s.overdue() ? ", OVERDUE" : "") + ")";
  }
}
