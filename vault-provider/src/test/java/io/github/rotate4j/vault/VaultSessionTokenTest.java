package io.github.rotate4j.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.github.rotate4j.Credential;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client token's lifecycle on manual time: renew at 2/3, log in again near max TTL, cap leases. */
class VaultSessionTokenTest {

  static final String SECRET_ID = "secret-id-do-not-log";

  WireMockServer wm;
  ManualTime time;
  VaultSession session;
  Instant t0;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    time = ManualTime.create();
    t0 = time.now();
    session = VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.appRole("role-1", SECRET_ID))
        .clock(time.clock())
        .scheduler(time.scheduler())
        .executor(ManualTime.directExecutor())
        .tokenJitter(0)
        .build();
    wm.stubFor(post(urlPathEqualTo("/v1/auth/approle/login")).inScenario("login")
        .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("second")
        .willReturn(okJson(auth("tok-1", 30))));
    wm.stubFor(post(urlPathEqualTo("/v1/auth/approle/login")).inScenario("login")
        .whenScenarioStateIs("second").willSetStateTo("third")
        .willReturn(okJson(auth("tok-2", 30))));
  }

  @AfterEach
  void stop() {
    session.close();
    wm.stop();
  }

  static String auth(String token, int ttl) {
    return "{\"auth\":{\"client_token\":\"" + token + "\",\"accessor\":\"a\",\"policies\":[\"app\"],\"token_policies\":[\"app\"],"
        + "\"lease_duration\":" + ttl + ",\"renewable\":true},\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0}";
  }

  @Test
  void token_isRenewedAtTwoThirds_andReplacedWhenRenewalIsCutShortByMaxTtl() {
    wm.stubFor(post(urlPathEqualTo("/v1/auth/token/renew-self")).inScenario("renew")
        .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("capped")
        .willReturn(okJson(auth("tok-1", 30))));
    wm.stubFor(post(urlPathEqualTo("/v1/auth/token/renew-self")).inScenario("renew")
        .whenScenarioStateIs("capped").willSetStateTo("done")
        .willReturn(okJson(auth("tok-1", 5))));

    session.login();
    assertThat(session.logins()).isEqualTo(1);
    assertThat(session.tokenExpiresAt()).contains(t0.plusSeconds(30));

    time.advance(Duration.ofSeconds(19));
    wm.verify(0, postRequestedFor(urlPathEqualTo("/v1/auth/token/renew-self")));
    time.advance(Duration.ofSeconds(1));
    wm.verify(1, postRequestedFor(urlPathEqualTo("/v1/auth/token/renew-self"))
        .withHeader("X-Vault-Token", equalTo("tok-1"))
        .withRequestBody(equalToJson("{\"increment\":30}")));
    assertThat(session.tokenExpiresAt()).contains(t0.plusSeconds(50));

    // second renewal at 20 + 20 s is granted only 5 s: the token is near its max TTL
    time.advance(Duration.ofSeconds(20));
    assertThat(session.logins()).isEqualTo(2);
    assertThat(session.tokenExpiresAt()).contains(t0.plusSeconds(70));
    assertThat(session.toString()).doesNotContain("tok-1").doesNotContain("tok-2").doesNotContain(SECRET_ID);
  }

  @Test
  void lease_expiryIsCappedAtTheEndOfTheTokenThatCreatedIt() {
    wm.stubFor(post(urlPathEqualTo("/v1/auth/token/renew-self")).inScenario("renew")
        .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("capped")
        .willReturn(okJson(auth("tok-1", 30))));
    wm.stubFor(post(urlPathEqualTo("/v1/auth/token/renew-self")).inScenario("renew")
        .whenScenarioStateIs("capped").willSetStateTo("done")
        .willReturn(okJson(auth("tok-1", 5))));
    wm.stubFor(get(urlPathEqualTo("/v1/database/creds/app")).willReturn(okJson(
        "{\"lease_id\":\"database/creds/app/L1\",\"renewable\":true,\"lease_duration\":3600,"
            + "\"data\":{\"username\":\"u1\",\"password\":\"p1\"}}")));
    wm.stubFor(put(urlPathEqualTo("/v1/sys/leases/renew")).willReturn(okJson(
        "{\"lease_id\":\"database/creds/app/L1\",\"renewable\":true,\"lease_duration\":3600}")));
    VaultLeaseProvider db = VaultLeaseProvider.builder(session, "database/creds/app").readRoleMaxTtl(false).build(); // no role read: not stubbed
    FetchContext ctx = FetchContext.startup("db");

    Credential lease = db.fetch(ctx).current();
    // an hour-long lease from a token that ends in 30 s ends in 30 s
    assertThat(lease.expiresAt()).contains(t0.plusSeconds(30));

    time.advance(Duration.ofSeconds(20));
    assertThat(db.renew(lease, ctx).expiresAt()).contains(t0.plusSeconds(50));

    time.advance(Duration.ofSeconds(20));
    assertThat(session.logins()).isEqualTo(2);
    // the creating token was last renewed at 40 s for 5 s: the lease dies at 45 s, whatever the new token does
    assertThat(db.renew(lease, ctx).expiresAt()).contains(t0.plusSeconds(45));
    wm.verify(putRequestedFor("/v1/sys/leases/renew", "tok-2"));

    Credential fresh = db.fetch(ctx).current();
    assertThat(fresh.expiresAt()).contains(t0.plusSeconds(70));
  }

  @Test
  void leasesPastTheirOwnEnd_areForgotten() {
    wm.stubFor(get(urlPathEqualTo("/v1/database/creds/app")).willReturn(okJson(
        "{\"lease_id\":\"database/creds/app/L1\",\"renewable\":true,\"lease_duration\":10,"
            + "\"data\":{\"username\":\"u1\",\"password\":\"p1\"}}")));
    VaultLeaseProvider db = VaultLeaseProvider.builder(session, "database/creds/app").readRoleMaxTtl(false).build(); // no role read: not stubbed
    db.fetch(FetchContext.startup("db"));
    assertThat(db.trackedLeases()).isEqualTo(1);

    time.advance(Duration.ofSeconds(11));
    wm.stubFor(get(urlPathEqualTo("/v1/database/creds/app")).willReturn(okJson(
        "{\"lease_id\":\"database/creds/app/L2\",\"renewable\":true,\"lease_duration\":10,"
            + "\"data\":{\"username\":\"u2\",\"password\":\"p2\"}}")));
    db.fetch(FetchContext.startup("db"));

    assertThat(db.trackedLeases()).isEqualTo(1);
  }

  @Test
  void permissionDeniedOnRenewal_logsInAgain() {
    wm.stubFor(post(urlPathEqualTo("/v1/auth/token/renew-self"))
        .willReturn(aResponse().withStatus(403).withBody("{\"errors\":[\"permission denied\"]}")));

    session.login();
    time.advance(Duration.ofSeconds(20));

    assertThat(session.logins()).isEqualTo(1);
    // the next attempt, a quarter of the remaining 10 s later, is a new login
    time.advance(Duration.ofMillis(2_500));
    assertThat(session.logins()).isEqualTo(2);
    assertThat(session.tokenExpiresAt()).contains(time.now().plusSeconds(30));
  }

  private static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder putRequestedFor(String path, String token) {
    return com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor(urlPathEqualTo(path))
        .withHeader("X-Vault-Token", equalTo(token));
  }
}
