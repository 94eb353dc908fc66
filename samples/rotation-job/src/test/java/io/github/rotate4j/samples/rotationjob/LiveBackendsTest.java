package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.samples.rotationjob.demo.DemoKeyService;
import io.github.rotate4j.samples.rotationjob.demo.FileSecretStore;
import io.github.rotate4j.testing.ManualTime;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job with its real backends on the demo: file store, demo key service, a manual clock. */
class LiveBackendsTest {

  private final ManualTime time = ManualTime.create();
  private DemoKeyService service;
  private Path inventory;
  private String out;

  @TempDir
  Path dir;

  @BeforeEach
  void start() throws Exception {
    service = DemoKeyService.builder().clock(time.clock()).adminToken("admin-token-value").start();
    inventory = dir.resolve("inventory.yaml");
    Files.writeString(inventory, """
        secrets:
          - name: demo-key
            owner: me
            rotationFrequency: 7d
            gracePeriod: 1h
            store: {type: file, path: state/demo-key.json}
            issuer: {type: demo, url: "%s", account: demo, adminTokenEnv: DEMO_ADMIN}
        """.formatted(service.uri()));
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private int run(Map<String, String> env, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("-i", inventory.toString()));
    all.addAll(List.of(args));
    PrintStream ps = new PrintStream(o, true, StandardCharsets.UTF_8);
    int code = RotationJob.execute(new RotationJob(time.clock(), new LiveBackends(env), ps, ps), all.toArray(String[]::new));
    out = o.toString(StandardCharsets.UTF_8);
    return code;
  }

  @Test
  void initWritesTheFirstKeyOnce_thenTheJobRotatesItAtTheDemoService() throws Exception {
    Map<String, String> env = Map.of("DEMO_ADMIN", "admin-token-value");
    assertThat(run(env, "init", "demo-key")).isZero();
    assertThat(out).contains("demo-key: first key created at demo " + service.uri() + " account demo");
    assertThat(run(env, "init", "demo-key")).isZero();
    assertThat(out).contains("demo-key: already holds a key; left unchanged");
    assertThat(service.keys("demo")).hasSize(1);
    String firstId = service.keys("demo").get(0).id();

    assertThat(run(env, "report")).as(out).isZero();
    assertThat(out).containsPattern("(?m)^demo-key +OK ");

    assertThat(run(env, "rotate", "demo-key")).as(out).isZero();
    assertThat(out).contains("IN_GRACE");
    time.advance(Duration.ofMinutes(61));
    assertThat(run(env, "rotate", "--due")).as(out).isZero();
    assertThat(out).contains("COMPLETED");

    assertThat(service.key(firstId).orElseThrow().revokedAt()).contains(time.now());
    assertThat(new FileSecretStore(dir.resolve("state/demo-key.json")).read().current().version()).isEqualTo("2");
    assertThat(Files.readString(dir.resolve("state/demo-key.json"))).doesNotContain("admin-token-value");
  }

  @Test
  void aMissingAdminTokenVariableIsNamedAndNothingIsCreated() {
    assertThat(run(Map.of(), "init", "demo-key")).isEqualTo(RotationJob.EXIT_FAILED);
    assertThat(out).contains("demo-key: FAILED: 'demo-key': environment variable DEMO_ADMIN (issuer adminTokenEnv) is not set");
    assertThat(service.keys("demo")).isEmpty();
  }

  @Test
  void aWrongAdminTokenIsReportedWithoutEchoingIt() {
    assertThat(run(Map.of("DEMO_ADMIN", "wrong-token-value"), "init", "demo-key")).isEqualTo(RotationJob.EXIT_FAILED);
    assertThat(out).contains("HTTP 401").doesNotContain("wrong-token-value");
  }
}
