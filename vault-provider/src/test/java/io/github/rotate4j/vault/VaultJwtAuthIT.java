package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.jopenlibs.vault.json.Json;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.spi.FetchContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** JWT login against a real server that validates tokens with a static public key. */
@ExtendWith(DevServers.class)
class VaultJwtAuthIT {

  static final String ISSUER = "rotate4j-test";
  static final String AUDIENCE = "rotate4j-it";

  final OpenBaoDevServer bao;
  KeyPair keys;
  String mount;
  String kvPath;

  VaultJwtAuthIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  @BeforeEach
  void setUp() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    keys = gen.generateKeyPair();
    String id = UUID.randomUUID().toString().substring(0, 8);
    mount = "jwt-" + id;
    kvPath = "it/jwt-" + id;
    bao.write("secret/data/" + kvPath, "{\"data\":{\"api_key\":\"j1\"}}");
    bao.api("PUT", "sys/policies/acl/jwt-" + id, Json.object().add("policy",
        "path \"secret/data/" + kvPath + "\" { capabilities = [\"read\"] }\n"
            + "path \"secret/metadata/" + kvPath + "\" { capabilities = [\"read\"] }\n").toString());
    bao.write("sys/auth/" + mount, "{\"type\":\"jwt\"}");
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    bao.write("auth/" + mount + "/config", Json.object()
        .add("jwt_validation_pubkeys", Json.array(pem))
        .add("bound_issuer", ISSUER).toString());
    bao.write("auth/" + mount + "/role/ci", Json.object()
        .add("role_type", "jwt")
        .add("user_claim", "sub")
        .add("bound_audiences", Json.array(AUDIENCE))
        .add("token_policies", Json.array("jwt-" + id))
        .add("token_ttl", "1m").toString());
  }

  @AfterEach
  void tearDown() {
    bao.api("DELETE", "sys/auth/" + mount, null);
  }

  @Test
  void jwtFromSupplier_logsIn_andAsksForAFreshJwtAtEachLogin() {
    AtomicInteger minted = new AtomicInteger();
    try (VaultSession session = VaultSession.builder().address(bao.address())
        .auth(VaultAuth.jwt("ci", () -> {
          minted.incrementAndGet();
          return jwt("ci-runner");
        }).atMount(mount)).build()) {
      assertThat(VaultKvProvider.of(session, "secret", kvPath).fetch(FetchContext.startup("kv")).current().secretMap())
          .containsEntry("api_key", "j1");
      assertThat(session.tokenExpiresAt()).isPresent();
      assertThat(minted.get()).isEqualTo(1);
    }
  }

  @Test
  void jwtFromFile_logsIn(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("jwt");
    Files.writeString(file, jwt("ci-runner") + "\n");
    try (VaultSession session = VaultSession.builder().address(bao.address())
        .auth(VaultAuth.jwt("ci", file).atMount(mount)).build()) {
      assertThat(VaultKvProvider.of(session, "secret", kvPath).fetch(FetchContext.startup("kv")).current().version()).isEqualTo("1");
    }
  }

  @Test
  void jwtForAnotherAudience_isRefusedPermanently() {
    String wrong = jwt("ci-runner", "someone-else");
    try (VaultSession session = VaultSession.builder().address(bao.address())
        .auth(VaultAuth.jwt("ci", () -> wrong).atMount(mount)).build()) {
      BackendException e = catchThrowableOfType(BackendException.class, session::login);

      assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(e.getMessage()).contains("auth/" + mount + "/login").doesNotContain(wrong);
    }
  }

  String jwt(String subject) {
    return jwt(subject, AUDIENCE);
  }

  String jwt(String subject, String audience) {
    try {
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      long now = Instant.now().getEpochSecond();
      String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      String payload = b64.encodeToString(Json.object()
          .add("iss", ISSUER).add("sub", subject).add("aud", audience)
          .add("iat", now).add("nbf", now - 5).add("exp", now + 300).toString().getBytes(StandardCharsets.UTF_8));
      Signature sig = Signature.getInstance("SHA256withRSA");
      sig.initSign(keys.getPrivate());
      sig.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + "." + payload + "." + b64.encodeToString(sig.sign());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
