package io.github.rotate4j.samples.rotationjob;

import io.github.rotate4j.rotation.RotationResult;
import java.io.PrintStream;

/** Prints workflow results readably and maps them to exit codes. */
final class Results {

  private Results() {}

  /** The exit code one result calls for. */
  static int exitCode(RotationResult r) {
    return switch (r.outcome()) {
      case VERIFY_FAILED, CONFLICT, FAILED -> RotationJob.EXIT_FAILED;
      case OLD_KEY_IN_USE, REVOKE_FAILED, NEEDS_ATTENTION -> RotationJob.EXIT_ATTENTION;
      default -> r.warnings().isEmpty() ? RotationJob.EXIT_OK : RotationJob.EXIT_ATTENTION;
    };
  }

  /** Combines exit codes: a failure outranks a request for attention, which outranks success. */
  static int worst(int a, int b) {
    return rank(a) >= rank(b) ? a : b;
  }

  private static int rank(int code) {
    return switch (code) {
      case RotationJob.EXIT_OK -> 0;
      case RotationJob.EXIT_ATTENTION -> 1;
      case RotationJob.EXIT_OVERDUE -> 2;
      default -> 3;
    };
  }

  static void print(PrintStream out, RotationResult r) {
    out.println("  " + r.outcome() + r.rotationId().map(id -> " - rotation " + id + " at " + r.phase().orElseThrow()).orElse(""));
    out.println("  " + r.message());
    r.resumeAt().ifPresent(t -> out.println("  next step due at " + Report.time(t) + "; run the job again then"));
    r.warnings().forEach(w -> out.println("  WARNING: " + w));
  }
}
