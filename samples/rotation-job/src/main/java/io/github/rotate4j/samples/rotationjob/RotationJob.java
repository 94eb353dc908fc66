package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryException;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The rotation job: reads an inventory of secrets and reports, rotates or rolls them back. Made for
 * cron and CI/CD schedules: every run goes as far as it can and returns (a rotation waiting for its
 * grace window is finished by a later run), and the exit code says what happened.
 *
 * <pre>
 * rotation-job [-i inventory.yaml] report [--json]
 * rotation-job [-i inventory.yaml] rotate --due [--dry-run]
 * rotation-job [-i inventory.yaml] rotate NAME... [--dry-run]
 * rotation-job [-i inventory.yaml] rollback NAME [--dry-run]
 * rotation-job [-i inventory.yaml] init NAME...
 * </pre>
 */
@Command(name = "rotation-job", mixinStandardHelpOptions = true, version = "rotation-job 0.1.0",
    description = "Reports and rotates the secrets of an inventory file.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        " 0:success; report: nothing overdue",
        " 1:report: at least one secret is overdue",
        " 2:usage error (unknown command or option)",
        " 3:inventory file missing or invalid, or an unknown secret name",
        " 4:a rotation or rollback failed (verification failed, conflict, backend error), or report: a secret could not be read",
        " 5:done, but an operator must look (old key still in use, revocation failed, warnings)"})
public final class RotationJob {

  /** Success; for {@code report}: nothing overdue. */
  public static final int EXIT_OK = 0;
  /** {@code report}: at least one secret is overdue. */
  public static final int EXIT_OVERDUE = 1;
  /** Usage error: unknown command or option. */
  public static final int EXIT_USAGE = 2;
  /** The inventory file is missing or invalid, or a secret name is not in it. */
  public static final int EXIT_INVENTORY = 3;
  /** A rotation or rollback failed, or {@code report} could not read a secret. */
  public static final int EXIT_FAILED = 4;
  /** Done, but an operator must look: old key still in use, revocation failed, warnings. */
  public static final int EXIT_ATTENTION = 5;

  /** The environment variable naming the inventory file when {@code --inventory} is not given. */
  public static final String INVENTORY_ENV = "ROTATION_INVENTORY";

  @Option(names = {"-i", "--inventory"}, paramLabel = "FILE",
      defaultValue = "${env:" + INVENTORY_ENV + ":-inventory.yaml}",
      description = "the inventory file; default $" + INVENTORY_ENV + " or ./inventory.yaml")
  Path inventoryFile;

  final Clock clock;
  final Backends backends;
  final PrintStream out;
  final PrintStream err;

  RotationJob(Clock clock, Backends backends, PrintStream out, PrintStream err) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.backends = Objects.requireNonNull(backends, "backends");
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  /** Runs the job with the system clock, real backends and the process environment; exits with its code. */
  public static void main(String[] args) {
    System.exit(execute(new RotationJob(Clock.systemUTC(), new LiveBackends(System.getenv()), System.out, System.err), args));
  }

  /** Runs {@code job} on {@code args} and returns the exit code. */
  static int execute(RotationJob job, String... args) {
    CommandLine cl = new CommandLine(job)
        .addSubcommand(new ReportCommand(job))
        .addSubcommand(new RotateCommand(job))
        .addSubcommand(new RollbackCommand(job))
        .addSubcommand(new InitCommand(job));
    cl.setOut(new PrintWriter(job.out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(job.err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof InventoryException || e instanceof UnknownSecretException) {
        job.err.println("rotation-job: " + e.getMessage());
        return EXIT_INVENTORY;
      }
      job.err.println("rotation-job: " + e);
      return EXIT_FAILED;
    });
    try {
      return cl.execute(args);
    } finally {
      try {
        job.backends.close();
      } catch (RuntimeException e) {
        job.err.println("rotation-job: while closing the backends: " + Messages.of(e));
      }
    }
  }

  Inventory inventory() {
    return InventoryReader.read(inventoryFile);
  }

  /** The entries of these names, in the order given. */
  static List<InventoryEntry> select(Inventory inventory, List<String> names) {
    return names.stream().map(n -> inventory.entry(n).orElseThrow(() -> new UnknownSecretException(inventory, n))).toList();
  }

  Rotator rotator(Inventory inventory, InventoryEntry entry) {
    return backends.rotator(inventory, entry, clock);
  }

  /** A name on the command line that the inventory does not hold. */
  static final class UnknownSecretException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnknownSecretException(Inventory inventory, String name) {
      super(inventory.source() + ": no secret named '" + name + "'; it holds "
          + String.join(", ", inventory.entries().stream().map(InventoryEntry::name).toList()));
    }
  }
}
