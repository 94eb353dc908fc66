package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyService;
import io.github.rotate4j.samples.rotationjob.demo.FileSecretStore;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job on the demo's file store (no server but the demo key service), in real time. */
class FileStoreRotationJobIT {

  @TempDir
  Path dir;

  @Test
  void fullRotationThroughTheJob_zeroRejectedCalls() throws Exception {
    try (DemoKeyService service = DemoKeyService.start()) {
      RotationUnderLoad scenario = new RotationUnderLoad(service, dir, Map.of());
      Path storeFile = dir.resolve("state").resolve("partner-api-key.json");
      Path inventory = scenario.inventory("{type: file, path: state/partner-api-key.json}");
      RotationUnderLoad.JobRun init = scenario.job(inventory, "init", RotationUnderLoad.NAME);
      assertThat(init.code()).as(init.out()).isZero();
      assertThat(init.out()).contains("first key created");

      RotationUnderLoad.Outcome o = scenario.run(inventory, new FileSecretStore(storeFile).provider(),
          Credential::secretString, true);

      RotationUnderLoad.assertZeroRejections("file", o);
      assertThat(o.pendingSeenByConsumer()).isTrue();
      assertThat(new FileSecretStore(storeFile).read().previous()).as("old key retired from the store").isEmpty();
    }
  }
}
