package io.github.rotate4j.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.github.rotate4j.testing.ManualTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes login request (a real server needs a Kubernetes API to review the token): role and
 * the service-account JWT, read again from its file at each login so that rotated projected tokens work.
 */
class VaultKubernetesAuthTest {

  WireMockServer wm;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
  }

  @AfterEach
  void stop() {
    wm.stop();
  }

  @Test
  void login_sendsRoleAndCurrentServiceAccountToken(@TempDir Path dir) throws Exception {
    Path jwtFile = dir.resolve("token");
    Files.writeString(jwtFile, "jwt-one\n");
    // not renewable: the session logs in again at 2/3 of the TTL
    wm.stubFor(post(urlPathEqualTo("/v1/auth/k8s-eu/login")).willReturn(okJson(
        "{\"auth\":{\"client_token\":\"k8s-token\",\"accessor\":\"a\",\"policies\":[\"p\"],\"lease_duration\":60,\"renewable\":false},"
            + "\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0}")));
    ManualTime time = ManualTime.create();
    try (VaultSession session = VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.kubernetes("payments", jwtFile).atMount("k8s-eu"))
        .clock(time.clock()).scheduler(time.scheduler()).executor(ManualTime.directExecutor()).tokenJitter(0)
        .build()) {
      session.login();
      wm.verify(postRequestedFor(urlPathEqualTo("/v1/auth/k8s-eu/login"))
          .withRequestBody(equalToJson("{\"role\":\"payments\",\"jwt\":\"jwt-one\"}")));

      Files.writeString(jwtFile, "jwt-two\n");
      time.advance(Duration.ofSeconds(40));

      assertThat(session.logins()).isEqualTo(2);
      wm.verify(postRequestedFor(urlPathEqualTo("/v1/auth/k8s-eu/login"))
          .withRequestBody(equalToJson("{\"role\":\"payments\",\"jwt\":\"jwt-two\"}")));
      assertThat(session.tokenExpiresAt()).contains(time.now().plusSeconds(60));
    }
  }

  @Test
  void defaultServiceAccountTokenPath() {
    assertThat(VaultAuth.DEFAULT_KUBERNETES_JWT_FILE).isEqualTo(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
    assertThat(VaultAuth.kubernetes("payments").toString())
        .contains("auth/kubernetes").contains("/var/run/secrets/kubernetes.io/serviceaccount/token");
  }
}
