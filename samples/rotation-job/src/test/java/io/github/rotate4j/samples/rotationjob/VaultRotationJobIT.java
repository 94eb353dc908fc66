package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.samples.rotationjob.demo.DemoKeyClient;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyIssuer;
import io.github.rotate4j.samples.rotationjob.demo.DemoKeyService;
import io.github.rotate4j.vault.VaultAuth;
import io.github.rotate4j.vault.VaultKvProvider;
import io.github.rotate4j.vault.VaultSession;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job rotating a key kept in OpenBao KV v2, with least-privilege tokens: the rotator's policy is
 * the one {@code VaultKvSecretStore} documents, the consumer may only read.
 */
class VaultRotationJobIT {

  private static OpenBaoDevServer bao;

  @TempDir
  Path dir;

  @BeforeAll
  static void startBao() throws Exception {
    bao = OpenBaoDevServer.start();
  }

  @AfterAll
  static void stopBao() {
    if (bao != null) {
      bao.close();
    }
  }

  @Test
  void fullRotationThroughTheJob_zeroRejectedCalls() throws Exception {
    String path = RotationUnderLoad.NAME;
    bao.api("PUT", "sys/policies/acl/rotator", policy("""
        path "secret/data/%1$s"             { capabilities = ["create", "read", "update"] }
        path "secret/metadata/%1$s"         { capabilities = ["read", "update"] }
        path "secret/delete/%1$s"           { capabilities = ["update"] }
        path "secret/data/%1$s.pending"     { capabilities = ["create", "read", "update"] }
        path "secret/metadata/%1$s.pending" { capabilities = ["read", "delete"] }
        path "secret/config"                { capabilities = ["read"] }
        """.formatted(path)));
    bao.api("PUT", "sys/policies/acl/consumer", policy("""
        path "secret/data/%1$s"             { capabilities = ["read"] }
        path "secret/metadata/%1$s"         { capabilities = ["read"] }
        path "secret/data/%1$s.pending"     { capabilities = ["read"] }
        """.formatted(path)));
    String rotatorToken = token("rotator");
    String consumerToken = token("consumer");

    try (DemoKeyService service = DemoKeyService.start();
        VaultSession consumerSession = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(consumerToken)).build()) {
      RotationUnderLoad scenario = new RotationUnderLoad(service, dir, Map.of("ROTATOR_TOKEN", rotatorToken));
      DemoKeyClient.CreatedKey first = scenario.client().create(RotationUnderLoad.NAME);
      bao.api("POST", "secret/data/" + path, "{\"data\":{\"api_key\":\"" + first.secret() + "\"}}");
      Path inventory = scenario.inventory("{type: vault-kv, address: \"" + bao.address() + "\", mount: secret, path: "
          + path + ", tokenEnv: ROTATOR_TOKEN}");

      RotationUnderLoad.Outcome o = scenario.run(inventory, VaultKvProvider.of(consumerSession, "secret", path),
          c -> DemoKeyIssuer.secretOf(c.value()).orElseThrow(), true);

      RotationUnderLoad.assertZeroRejections("openbao-kv2", o);
      assertThat(o.oldKeyId()).isEqualTo(first.id());
      assertThat(o.pendingSeenByConsumer()).as("consumer saw the staged key as pending").isTrue();
      assertThat(bao.api("GET", "secret/data/" + path, null)).contains("\"version\":2");
    }
  }

  private static String policy(String hcl) {
    return "{\"policy\":" + quote(hcl) + "}";
  }

  private static String token(String policy) {
    String body = bao.api("POST", "auth/token/create", "{\"policies\":[\"" + policy + "\"],\"ttl\":\"1h\"}");
    int at = body.indexOf("\"client_token\":\"") + "\"client_token\":\"".length();
    return body.substring(at, body.indexOf('"', at));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
