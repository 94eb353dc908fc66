package io.github.rotate4j.samples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the quickstart the way a user does, in its own JVM with no server around, and checks that it
 * ends by itself, successfully and quickly, after printing every step of its timeline.
 */
class QuickstartIT {

  private static final long TIME_LIMIT_SECONDS = 60;

  /** The timeline's milestones, in the order they must appear. */
  private static final List<String> MILESTONES = List.of(
      "STARTUP     fetched version ",
      "client presents key #1 -> CURRENT",
      "POLLING     the unchanged file was read again",
      "ROTATION    the agent writes key #2",
      "' rotated ",
      "client presents key #2 -> CURRENT",
      "client presents key #1 -> PREVIOUS",
      "OUTAGE      the file disappears",
      "api-key does not exist (yet); waiting for its writer",
      "status DEGRADED; get() still serves version ",
      "RECOVERY    the agent writes the file again",
      "status UP, version ",
      "GRACE OVER  client presents key #1 -> REJECTED",
      "client presents key #2 -> CURRENT",
      "STARTUP     lease database/creds/orders/lease-1, hard expiry at ",
      "OUTAGE      the database secrets engine goes down",
      "status DEGRADED; get() still serves lease database/creds/orders/lease-1",
      "EXPIRED     get() throws CredentialExpiredException: credential 'orders-db' [in-memory database/creds/orders]: "
          + "credential version database/creds/orders/lease-1 expired at ",
      "status DOWN; an expired credential is never returned",
      "RECOVERY    the secrets engine is back",
      "status UP; get() returns the new lease database/creds/orders/lease-2",
      "leases revoked on close: [database/creds/orders/lease-2]",
      "DONE        all credentials closed; no rotate4j-* thread left behind");

  @TempDir Path tmp;

  @Test
  void quickstart_runsToTheEndOnItsOwn_andPrintsTheWholeTimeline() throws Exception {
    Path output = tmp.resolve("quickstart.out");
    Process process = new ProcessBuilder(javaExecutable(), "-cp", classPath(), Quickstart.class.getName())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    boolean ended;
    try {
      ended = process.waitFor(TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
    } finally {
      process.destroyForcibly();
    }
    String out = Files.readString(output, StandardCharsets.UTF_8);

    assertThat(ended).as("the quickstart ends by itself within %d s; output so far:%n%s", TIME_LIMIT_SECONDS, out).isTrue();
    assertThat(process.exitValue()).as("exit code; output:%n%s", out).isZero();
    int from = 0;
    for (String milestone : MILESTONES) {
      int at = out.indexOf(milestone, from);
      assertThat(at).as("'%s' after position %d in:%n%s", milestone, from, out).isGreaterThanOrEqualTo(0);
      from = at + milestone.length();
    }
    assertThat(out).as("keys are never printed").doesNotContain("demo-");
    assertThat(out).doesNotContain("Exception in thread");
  }

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The test class path (failsafe may hide it behind a manifest-only jar). */
  private static String classPath() throws IOException {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    assertThat(cp).as("class path of the test JVM").isNotBlank();
    for (String entry : cp.split(File.pathSeparator)) {
      if (entry.contains("rotate4j-samples") || entry.endsWith("samples" + File.separator + "target" + File.separator + "classes")) {
        return cp;
      }
    }
    throw new IOException("the samples classes are not on the test class path: " + cp);
  }
}
