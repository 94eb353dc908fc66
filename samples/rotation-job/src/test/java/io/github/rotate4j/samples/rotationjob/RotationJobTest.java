package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.Rotator;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import io.github.rotate4j.testing.InMemoryKeyIssuer;
import io.github.rotate4j.testing.InMemorySecretStore;
import io.github.rotate4j.testing.ManualTime;
import io.github.rotate4j.testing.SimulatedCrash;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job's commands on in-memory stores and an in-memory issuer, on a manual clock: a fresh key
 * (rotated 10 days ago), a due one (31 days) and an overdue one (40 days), all every 30 days, with
 * overdue meaning more than 2 days past due.
 */
class RotationJobTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> NAMES = List.of("fresh-key", "due-key", "overdue-key");

  private final ManualTime time = ManualTime.create();
  private final InMemoryKeyIssuer issuer = InMemoryKeyIssuer.create();
  private final Map<String, InMemorySecretStore> stores = new LinkedHashMap<>();
  private final Map<String, String> firstKeyIds = new LinkedHashMap<>();
  private KeyVerifier verifier = KeyVerifier.of(issuer::accepts);
  private Path inventory;
  private String out;
  private String err;

  @TempDir
  Path dir;

  @BeforeEach
  void inventoryWithFreshDueAndOverdueKeys() throws Exception {
    inventory = dir.resolve("inventory.yaml");
    StringBuilder yaml = new StringBuilder("overdueAfter: 2d\nsecrets:\n");
    for (String name : NAMES) {
      yaml.append("""
            - name: %1$s
              description: key %1$s
              owner: team-%1$s
              consumers: [checkout, refunds]
              rotationFrequency: 30d
              gracePeriod: 1h
              unusedFor: 10m
              store: {type: in-memory, path: %1$s}
              issuer: {type: demo, url: "http://127.0.0.1:9", account: %1$s}
          """.formatted(name));
    }
    Files.writeString(inventory, yaml);
    rotated("fresh-key", Duration.ofDays(10));
    rotated("due-key", Duration.ofDays(31));
    rotated("overdue-key", Duration.ofDays(40));
  }

  private void rotated(String name, Duration ago) {
    SecretValue first = SecretValue.ofString("first-key-of-" + name);
    firstKeyIds.put(name, issuer.register(first));
    Instant at = time.now().minus(ago);
    stores.put(name, InMemorySecretStore.create(name, first, at).schedule(at, at.plus(Duration.ofDays(30))));
  }

  private int run(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("-i", inventory.toString()));
    all.addAll(List.of(args));
    int code = RotationJob.execute(new RotationJob(time.clock(), new TestBackends(), new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8)), all.toArray(String[]::new));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  /** Builds the same rotators as the real job, on the in-memory doubles. */
  private final class TestBackends implements Backends {
    @Override
    public Rotator rotator(Inventory inv, InventoryEntry entry, Clock clock) {
      return LiveBackends.rotator(stores.get(entry.name()), issuer, verifier, inv, entry, clock);
    }

    @Override
    public boolean initialize(InventoryEntry entry, Clock clock) {
      throw new UnsupportedOperationException("not in this test");
    }
  }

  // ------------------------------------------------------------------------------ report

  @Test
  void report_showsFreshDueAndOverdue_andExitsOneWhenSomethingIsOverdue() {
    assertThat(run("report")).isEqualTo(RotationJob.EXIT_OVERDUE);

    assertThat(out).contains("Rotation report at 2030-01-01T00:00:00Z for " + inventory);
    assertThat(line("fresh-key ")).contains(" OK ").contains("2029-12-22T00:00:00Z").contains(" 10 ").contains("2030-01-21T00:00:00Z");
    assertThat(line("due-key ")).contains(" DUE ").contains(" 31 ").contains("2029-12-31T00:00:00Z").contains("team-due-key");
    assertThat(line("overdue-key ")).contains(" OVERDUE ").contains(" 40 ").contains("memory overdue-key");
    assertThat(out).contains("OVERDUE overdue-key: due since 2029-12-22T00:00:00Z (10 days); owner team-overdue-key");
    assertThat(out).contains("3 secrets: 1 overdue, 1 due, 1 ok, 0 unreadable");
    assertThat(err).isEmpty();
  }

  @Test
  void report_json_hasSummaryAndOneObjectPerSecret() throws Exception {
    assertThat(run("report", "--json")).isEqualTo(RotationJob.EXIT_OVERDUE);

    JsonNode root = JSON.readTree(out);
    assertThat(fieldNames(root)).containsExactly("generatedAt", "inventory", "overdueAfter", "summary", "secrets");
    assertThat(root.get("generatedAt").asText()).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(root.get("overdueAfter").asText()).isEqualTo("PT48H");
    assertThat(root.get("summary").toString()).isEqualTo("{\"total\":3,\"ok\":1,\"due\":1,\"overdue\":1,\"error\":0}");
    assertThat(root.get("secrets")).extracting(s -> s.get("name").asText() + "=" + s.get("state").asText())
        .containsExactly("fresh-key=ok", "due-key=due", "overdue-key=overdue");

    JsonNode due = root.get("secrets").get(1);
    assertThat(fieldNames(due)).containsExactly("name", "state", "description", "owner", "consumers", "store", "issuer",
        "rotationFrequency", "currentVersion", "rotatedAt", "daysSinceRotation", "nextRotation", "dueAt", "neverRotated", "due", "overdue",
        "rotation", "error");
    assertThat(due.get("owner").asText()).isEqualTo("team-due-key");
    assertThat(due.get("consumers").toString()).isEqualTo("[\"checkout\",\"refunds\"]");
    assertThat(due.get("rotationFrequency").asText()).isEqualTo("PT720H");
    assertThat(due.get("currentVersion").asText()).isEqualTo("1");
    assertThat(due.get("rotatedAt").asText()).isEqualTo("2029-12-01T00:00:00Z");
    assertThat(due.get("daysSinceRotation").asLong()).isEqualTo(31);
    assertThat(due.get("dueAt").asText()).isEqualTo("2029-12-31T00:00:00Z");
    assertThat(due.get("neverRotated").asBoolean()).isFalse();
    assertThat(due.get("due").asBoolean()).isTrue();
    assertThat(due.get("overdue").asBoolean()).isFalse();
    assertThat(due.get("rotation").isNull()).isTrue();
    assertThat(due.get("error").isNull()).isTrue();
    assertThat(root.get("secrets").get(2).get("overdue").asBoolean()).isTrue();
    assertThat(root.get("secrets").get(0).get("due").asBoolean()).isFalse();
  }

  @Test
  void report_exitsZeroOnceTheOverdueKeyIsRotated_andShowsTheRotationInItsGraceWindow() throws Exception {
    assertThat(run("rotate", "overdue-key")).isZero();

    assertThat(run("report")).isEqualTo(RotationJob.EXIT_OK);
    assertThat(line("overdue-key ")).contains(" OK ").contains(" GRACE ");
    assertThat(out).containsPattern("ROTATING overdue-key: rotation \\S+ at GRACE, grace ends 2030-01-01T01:00:00Z");

    assertThat(run("report", "--json")).isZero();
    JsonNode rotation = JSON.readTree(out).get("secrets").get(2).get("rotation");
    assertThat(rotation.get("phase").asText()).isEqualTo("GRACE");
    assertThat(rotation.get("graceEndsAt").asText()).isEqualTo("2030-01-01T01:00:00Z");
  }

  @Test
  void report_aSecretNeverRotatedByTheWorkflowIsOverdue() throws Exception {
    stores.put("fresh-key", InMemorySecretStore.create("fresh-key", SecretValue.ofString("hand-written"), time.now()));

    assertThat(run("report")).isEqualTo(RotationJob.EXIT_OVERDUE);
    assertThat(line("fresh-key ")).contains(" OVERDUE ").contains(" never ").contains(" now ");
    assertThat(out).contains("OVERDUE fresh-key: due since it was never rotated; owner team-fresh-key");

    run("report", "--json");
    JsonNode fresh = JSON.readTree(out).get("secrets").get(0);
    assertThat(fresh.get("neverRotated").asBoolean()).isTrue();
    assertThat(fresh.get("dueAt").isNull()).isTrue();
    assertThat(fresh.get("rotatedAt").isNull()).isTrue();
    assertThat(fresh.get("daysSinceRotation").isNull()).isTrue();
  }

  @Test
  void report_exitsFourAndNamesTheSecretWhenAStoreCannotBeRead() throws Exception {
    stores.get("fresh-key").faults().failAlways("store.read.before", () -> new IllegalStateException("store unreachable"));

    assertThat(run("report")).isEqualTo(RotationJob.EXIT_FAILED);
    assertThat(out).contains("ERROR fresh-key: store unreachable").contains("1 overdue, 1 due, 0 ok, 1 unreadable");

    assertThat(run("report", "--json")).isEqualTo(RotationJob.EXIT_FAILED);
    JsonNode fresh = JSON.readTree(out).get("secrets").get(0);
    assertThat(fresh.get("state").asText()).isEqualTo("error");
    assertThat(fresh.get("error").asText()).isEqualTo("store unreachable");
  }

  // ------------------------------------------------------------------------------ dry run

  @Test
  void dryRun_rotateDue_changesNothingAtTheStoresOrTheIssuer() {
    Map<String, RotationState> before = snapshots();
    List<String> keysBefore = issuer.allKeyIds();

    assertThat(run("rotate", "--due", "--dry-run")).isZero();

    assertThat(out).contains("[1/3] fresh-key (in-memory fresh-key) - dry run\n  not due (due at 2030-01-21T00:00:00Z): nothing to do");
    assertThat(out).contains("[2/3] due-key (in-memory due-key) - dry run\n  would start a new rotation of version 1 (due at 2029-12-31T00:00:00Z)");
    assertThat(out).contains("would start a new rotation of version 1 (due at 2029-12-22T00:00:00Z, OVERDUE)");
    assertThat(out).contains("3 secrets checked, nothing changed (dry run)");
    assertThat(snapshots()).isEqualTo(before);
    stores.values().forEach(s -> assertThat(s.writes()).isEmpty());
    assertThat(issuer.allKeyIds()).isEqualTo(keysBefore);
    assertThat(issuer.faults().reached()).as("no call reached the issuer").isEmpty();
  }

  @Test
  void dryRun_rotateByName_and_rollback_changeNothingDuringAGraceWindow() {
    assertThat(run("rotate", "due-key")).isZero();
    RotationJournal journal = stores.get("due-key").snapshot().journal().orElseThrow();
    Map<String, RotationState> before = snapshots();
    List<String> writesBefore = stores.get("due-key").writes();
    List<String> liveBefore = issuer.liveKeyIds();

    assertThat(run("rotate", "due-key", "--dry-run")).isZero();
    assertThat(out).contains("would resume rotation " + journal.rotationId() + " at GRACE: grace window ends at 2030-01-01T01:00:00Z, nothing to do before");
    assertThat(run("rollback", "due-key", "--dry-run")).isZero();
    assertThat(out).contains("would make version 1 current again and revoke new key " + journal.newKeyId().orElseThrow());

    assertThat(snapshots()).isEqualTo(before);
    assertThat(stores.get("due-key").writes()).isEqualTo(writesBefore);
    assertThat(issuer.liveKeyIds()).isEqualTo(liveBefore);
  }

  // ------------------------------------------------------------------------------ rotate / rollback

  @Test
  void rotateDue_rotatesDueAndOverdueKeys_thenRevokesTheOldKeysAfterGrace() {
    assertThat(run("rotate", "--due")).isZero();

    assertThat(out).contains("[1/3] fresh-key (in-memory fresh-key)\n  NOT_DUE");
    assertThat(out).containsPattern("\\[2/3\\] due-key \\(in-memory due-key\\)\n  IN_GRACE - rotation \\S+ at GRACE");
    assertThat(out).contains("next step due at 2030-01-01T01:00:00Z; run the job again then");
    assertThat(out).contains("3 secrets: 1 NOT_DUE, 2 IN_GRACE, 0 errors");
    assertThat(stores.get("fresh-key").writes()).isEmpty();
    for (String name : List.of("due-key", "overdue-key")) {
      RotationState s = stores.get(name).snapshot();
      assertThat(s.current().version()).isEqualTo("2");
      assertThat(s.previous().orElseThrow().version()).as("old key still served in grace").isEqualTo("1");
      assertThat(s.rotatedAt()).contains(time.now());
      assertThat(s.nextRotation()).contains(time.now().plus(Duration.ofDays(30)));
      assertThat(issuer.isLive(firstKeyIds.get(name))).isTrue();
    }

    time.advance(Duration.ofMinutes(61));
    assertThat(run("rotate", "--due")).isZero();

    assertThat(out).contains("3 secrets: 1 NOT_DUE, 2 COMPLETED, 0 errors");
    for (String name : List.of("due-key", "overdue-key")) {
      assertThat(issuer.isLive(firstKeyIds.get(name))).as("old key of %s revoked", name).isFalse();
      assertThat(stores.get(name).snapshot().journal().orElseThrow().phase()).isEqualTo(RotationPhase.COMPLETED);
      assertThat(issuer.accepts(stores.get(name).snapshot().current().value())).isTrue();
    }
    assertThat(issuer.isLive(firstKeyIds.get("fresh-key"))).isTrue();
  }

  @Test
  void rotate_exitsFiveAndKeepsTheOldKeyWhileItIsStillUsed() {
    assertThat(run("rotate", "due-key")).isZero();
    time.advance(Duration.ofMinutes(55));
    assertThat(issuer.authenticate(SecretValue.ofString("first-key-of-due-key"), time.now())).isTrue();
    time.advance(Duration.ofMinutes(6));

    assertThat(run("rotate", "due-key")).isEqualTo(RotationJob.EXIT_ATTENTION);

    assertThat(out).contains("OLD_KEY_IN_USE");
    assertThat(issuer.isLive(firstKeyIds.get("due-key"))).isTrue();
  }

  @Test
  void rotate_exitsFourAndKeepsTheOldKeyCurrentWhenVerificationFails() {
    verifier = key -> {
      throw new IllegalStateException("the service answered 401 to the new key");
    };

    assertThat(run("rotate", "due-key")).isEqualTo(RotationJob.EXIT_FAILED);

    assertThat(out).contains("VERIFY_FAILED");
    RotationState s = stores.get("due-key").snapshot();
    assertThat(s.current().version()).isEqualTo("1");
    assertThat(s.pending()).isEmpty();
    assertThat(issuer.liveKeyIds()).containsExactlyElementsOf(firstKeyIds.values());
  }

  @Test
  void rollback_afterPromotion_makesTheOldKeyCurrentAgainAndRevokesTheNewOne() {
    assertThat(run("rotate", "due-key")).isZero();
    String newKeyId = stores.get("due-key").snapshot().journal().orElseThrow().newKeyId().orElseThrow();

    assertThat(run("rollback", "due-key")).isZero();

    assertThat(out).contains("due-key (in-memory due-key)\n  ROLLED_BACK");
    RotationState s = stores.get("due-key").snapshot();
    assertThat(s.current().value()).isEqualTo(SecretValue.ofString("first-key-of-due-key"));
    assertThat(issuer.isLive(newKeyId)).isFalse();
    assertThat(issuer.isLive(firstKeyIds.get("due-key"))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"issuer.issue.after", "store.stage.after", "store.promote.before", "store.promote.after",
      "store.writeJournal.after", "issuer.revoke.before"})
  void aJobRunKilledAnywhereIsFinishedByTheNextRuns(String point) {
    (point.startsWith("issuer") ? issuer.faults() : stores.get("due-key").faults()).crashOnce(point);

    boolean crashed = false;
    for (int run = 0; run < 6 && !(completed("due-key") && completed("overdue-key")); run++) {
      try {
        run("rotate", "--due");
      } catch (SimulatedCrash expected) {
        crashed = true;
      }
      time.advance(Duration.ofMinutes(61));
    }

    assertThat(crashed).as("the run died at %s", point).isTrue();
    RotationState s = stores.get("due-key").snapshot();
    assertThat(s.journal().orElseThrow().phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(s.pending()).isEmpty();
    assertThat(issuer.accepts(s.current().value())).as("current key works").isTrue();
    assertThat(issuer.isLive(firstKeyIds.get("due-key"))).as("old key revoked").isFalse();
    assertThat(completed("overdue-key")).isTrue();
    assertThat(issuer.liveKeyIds()).as("one live key per secret, none left over").hasSize(3);
  }

  private boolean completed(String name) {
    return stores.get(name).snapshot().journal().map(j -> j.phase() == RotationPhase.COMPLETED).orElse(false);
  }

  @Test
  void rollback_withNoRotationChangesNothing() {
    assertThat(run("rollback", "due-key", "--dry-run")).isZero();
    assertThat(out).contains("nothing to roll back: no rotation ever ran");

    assertThat(run("rollback", "due-key")).isZero();
    assertThat(out).contains("NOTHING_TO_DO");
    assertThat(stores.get("due-key").writes()).isEmpty();
    assertThat(issuer.liveKeyIds()).containsExactlyElementsOf(firstKeyIds.values());
  }

  @Test
  void noOutputEverShowsAKey() {
    StringBuilder all = new StringBuilder();
    for (String[] args : List.of(new String[] {"report"}, new String[] {"report", "--json"}, new String[] {"rotate", "--due", "--dry-run"},
        new String[] {"rotate", "--due"}, new String[] {"report", "--json"}, new String[] {"rollback", "due-key"})) {
      run(args);
      all.append(out).append(err);
    }
    assertThat(all).doesNotContain("first-key-of-");
    for (InMemorySecretStore store : stores.values()) {
      RotationState s = store.snapshot();
      assertThat(all).doesNotContain(((SecretValue.Text) s.current().value()).value());
    }
  }

  // ------------------------------------------------------------------------------ errors and usage

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      rotate nope           | 3 | no secret named 'nope'; it holds fresh-key, due-key, overdue-key
      rollback nope         | 3 | no secret named 'nope'
      rotate                | 2 | Missing required argument
      rotate --due due-key  | 2 | Unmatched argument at index 4: 'due-key'
      report --color        | 2 | Unknown option: '--color'
      frobnicate            | 2 | Unmatched argument at index 2: 'frobnicate'
      """)
  void usageAndNameErrors(String args, int code, String message) {
    assertThat(run(args.split(" "))).isEqualTo(code);
    assertThat(err).contains(message);
    assertThat(stores.values()).allSatisfy(s -> assertThat(s.writes()).isEmpty());
  }

  @Test
  void invalidInventoryExitsThreeNamingFileEntryAndField() throws Exception {
    Files.writeString(inventory, Files.readString(inventory).replaceFirst("rotationFrequency: 30d", "rotationFrequency: monthly"));

    assertThat(run("report")).isEqualTo(RotationJob.EXIT_INVENTORY);
    assertThat(err).contains(inventory + ": secrets[0] 'fresh-key': field 'rotationFrequency' 'monthly' is not a duration");
  }

  @Test
  void helpListsTheExitCodes() {
    assertThat(run("--help")).isZero();
    assertThat(out).contains("Exit codes:").contains("1   report: at least one secret is overdue")
        .contains("5   done, but an operator must look");
  }

  // ------------------------------------------------------------------------------

  private Map<String, RotationState> snapshots() {
    Map<String, RotationState> m = new LinkedHashMap<>();
    stores.forEach((n, s) -> m.put(n, s.snapshot()));
    return m;
  }

  private String line(String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + out));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

}
