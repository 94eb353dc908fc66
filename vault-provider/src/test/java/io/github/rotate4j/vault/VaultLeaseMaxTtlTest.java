package io.github.rotate4j.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.moreThanOrExactly;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/** How a lease's max TTL is declared or read from the role, and that reading it never fails a fetch. */
class VaultLeaseMaxTtlTest {

  static final String TOKEN = "s.TOPSECRET-client-token-4711";
  static final String SECRET = "hunter2-db-password-0815";
  static final String CREDS = "database/creds/orders";
  static final String ROLE = "/v1/database/roles/orders";
  static final String TUNE = "/v1/sys/mounts/database/tune";

  final ManualTime time = ManualTime.create();
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final Logger roleLog = (Logger) LoggerFactory.getLogger(RoleMaxTtl.class);
  WireMockServer wm;
  VaultSession session;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    tokenWithTtl(0);
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS)).willReturn(okJson(leaseBody(30, true))));
    session = session();
    logs.start();
    roleLog.addAppender(logs);
    roleLog.setLevel(Level.DEBUG);
  }

  @AfterEach
  void stop() {
    roleLog.detachAppender(logs);
    roleLog.setLevel(null);
    session.close();
    wm.stop();
  }

  private VaultSession session() {
    return VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.token(TOKEN))
        // generous for a loaded build machine; "slow" below waits longer than this
        .requestTimeout(Duration.ofSeconds(3))
        .clock(time.clock()).scheduler(time.scheduler()).executor(ManualTime.directExecutor())
        .build();
  }

  private FetchResult fetch(VaultLeaseProvider provider) {
    return provider.fetch(FetchContext.startup("orders-db"));
  }

  @Test
  void declaredMaxTtl_isAnnouncedFromTheIssueTime_withoutReadingTheRole() {
    VaultLeaseProvider provider = VaultLeaseProvider.builder(session, CREDS).maxTtl(Duration.ofMinutes(10)).build();

    FetchResult r = fetch(provider);

    assertThat(r.maxLeaseEnd()).contains(time.now().plus(Duration.ofMinutes(10)));
    assertThat(r.current().expiresAt()).contains(time.now().plusSeconds(30));
    wm.verify(0, getRequestedFor(urlPathEqualTo(ROLE)));
    wm.verify(0, getRequestedFor(urlPathEqualTo(TUNE)));
  }

  @ParameterizedTest(name = "role max_ttl {0} s, mount max_lease_ttl {1} s -> {2} s")
  @CsvSource({
      "600, 3600, 600",
      "600, 300, 300",
      "0, 900, 900",
      "600, 0, 600",
  })
  void roleMaxTtl_boundedByTheMount(long roleMax, long mountMax, long expected) {
    stubRole(okJson(roleBody("" + roleMax)));
    stubTune(okJson(tuneBody(mountMax)));

    FetchResult r = fetch(VaultLeaseProvider.of(session, CREDS));

    assertThat(r.maxLeaseEnd()).contains(time.now().plusSeconds(expected));
  }

  @Test
  void roleAndMountWithoutMaxTtl_announceNothing() {
    stubRole(okJson(roleBody("0")));
    stubTune(okJson(tuneBody(0)));

    assertThat(fetch(VaultLeaseProvider.of(session, CREDS)).maxLeaseEnd()).isEmpty();
  }

  @Test
  void roleReadForbidden_fetchStillWorks_loggedOnceAtInfo_andNotReadAgainWithinAnHour() {
    stubRole(aResponse().withStatus(403).withBody("{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}"));
    stubTune(okJson(tuneBody(900)));
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, CREDS);

    FetchResult first = fetch(provider);
    time.advance(Duration.ofMinutes(30));
    FetchResult second = fetch(provider);

    assertThat(first.current().usernamePassword().password()).isEqualTo(SECRET);
    assertThat(first.maxLeaseEnd()).isEmpty();
    assertThat(second.maxLeaseEnd()).isEmpty();
    wm.verify(1, getRequestedFor(urlPathEqualTo(ROLE)));
    wm.verify(0, getRequestedFor(urlPathEqualTo(TUNE)));
    List<ILoggingEvent> infos = logs.list.stream().filter(e -> e.getLevel() == Level.INFO).toList();
    assertThat(infos).hasSize(1);
    assertThat(infos.get(0).getFormattedMessage())
        .isEqualTo("credential 'orders-db' [vault@http://127.0.0.1:" + wm.port() + " database/roles/orders]: the token may not "
            + "read this path (HTTP 403; its policy needs the 'read' capability on it); the lease's max TTL stays unknown "
            + "until a renewal comes back short")
        .doesNotContain(TOKEN).doesNotContain(SECRET);

    time.advance(Duration.ofMinutes(31));
    fetch(provider);
    wm.verify(2, getRequestedFor(urlPathEqualTo(ROLE)));
    assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.INFO)).hasSize(1);
  }

  @Test
  void mountTuneForbidden_roleMaxTtlAloneIsAnnounced() {
    stubRole(okJson(roleBody("600")));
    stubTune(aResponse().withStatus(403).withBody("{\"errors\":[\"permission denied\"]}"));

    FetchResult r = fetch(VaultLeaseProvider.of(session, CREDS));

    assertThat(r.maxLeaseEnd()).contains(time.now().plusSeconds(600));
    assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("sys/mounts/database/tune")
        .contains("HTTP 403").endsWith("the role's own max_ttl is used, if it sets one, without the mount's cap"));
  }

  @Test
  void whatWasRead_isCachedForAnHour() {
    stubRole(okJson(roleBody("600")));
    stubTune(okJson(tuneBody(3600)));
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, CREDS);

    fetch(provider);
    time.advance(Duration.ofMinutes(59));
    FetchResult later = fetch(provider);

    assertThat(later.maxLeaseEnd()).contains(time.now().plusSeconds(600));
    wm.verify(1, getRequestedFor(urlPathEqualTo(ROLE)));
    wm.verify(1, getRequestedFor(urlPathEqualTo(TUNE)));
    time.advance(Duration.ofMinutes(2));
    fetch(provider);
    wm.verify(2, getRequestedFor(urlPathEqualTo(ROLE)));
  }

  @Test
  void transientFailure_keepsWhatWasKnown_andRetriesAfterFiveMinutes() {
    stubRole(okJson(roleBody("600")));
    stubTune(okJson(tuneBody(3600)));
    VaultLeaseProvider provider = VaultLeaseProvider.of(session, CREDS);
    fetch(provider);
    stubRole(aResponse().withStatus(503).withBody("{\"errors\":[\"Vault is sealed\"]}"));

    time.advance(Duration.ofMinutes(61));
    FetchResult during = fetch(provider);
    time.advance(Duration.ofMinutes(4));
    fetch(provider);

    assertThat(during.maxLeaseEnd()).contains(time.now().minus(Duration.ofMinutes(4)).plusSeconds(600));
    wm.verify(2, getRequestedFor(urlPathEqualTo(ROLE)));
    time.advance(Duration.ofMinutes(2));
    fetch(provider);
    wm.verify(3, getRequestedFor(urlPathEqualTo(ROLE)));
  }

  static Stream<Arguments> oddRoleAnswers() {
    return Stream.of(
        Arguments.of("max_ttl as a duration string", okJson(roleBody("\"1h\""))),
        Arguments.of("negative max_ttl", okJson(roleBody("-5"))),
        Arguments.of("max_ttl true", okJson(roleBody("true"))),
        Arguments.of("no max_ttl (not a database role)", okJson("{\"data\":{\"default_sts_ttl\":3600}}")),
        Arguments.of("data is an array", okJson("{\"data\":[600]}")),
        Arguments.of("no data", okJson("{\"warnings\":null}")),
        Arguments.of("not JSON", aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"data\":")),
        Arguments.of("404", aResponse().withStatus(404).withBody("{\"errors\":[]}")),
        Arguments.of("500", aResponse().withStatus(500).withBody("{\"errors\":[\"internal error\"]}")),
        Arguments.of("slow", okJson(roleBody("600")).withFixedDelay(8_000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oddRoleAnswers")
  void oddRoleAnswer_fetchStillWorks_withoutMaxLeaseEnd(String label, ResponseDefinitionBuilder answer) {
    stubRole(answer);
    stubTune(okJson(tuneBody(900)));

    FetchResult r = fetch(VaultLeaseProvider.of(session, CREDS));

    assertThat(r.current().usernamePassword().password()).isEqualTo(SECRET);
    assertThat(r.maxLeaseEnd()).isEmpty();
    assertThat(logs.list).allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain(TOKEN).doesNotContain(SECRET));
  }

  @Test
  void maxLeaseEnd_neverAfterTheCreatingTokensEnd() {
    session.close();
    tokenWithTtl(120);
    session = session();
    stubRole(okJson(roleBody("600")));
    stubTune(okJson(tuneBody(3600)));

    FetchResult r = fetch(VaultLeaseProvider.of(session, CREDS));

    assertThat(r.maxLeaseEnd()).contains(time.now().plusSeconds(120));
  }

  @Test
  void maxTtlShorterThanTheLease_isClampedToTheLeasesExpiry() {
    VaultLeaseProvider provider = VaultLeaseProvider.builder(session, CREDS).maxTtl(Duration.ofSeconds(10)).build();

    FetchResult r = fetch(provider);

    assertThat(r.maxLeaseEnd()).isEqualTo(r.current().expiresAt()).contains(time.now().plusSeconds(30));
  }

  @Test
  void nonRenewableLease_announcesNothing() {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS)).willReturn(okJson(leaseBody(30, false))));

    FetchResult r = fetch(VaultLeaseProvider.builder(session, CREDS).maxTtl(Duration.ofMinutes(10)).build());

    assertThat(r.maxLeaseEnd()).isEmpty();
  }

  @Test
  void readRoleMaxTtlOff_readsNothingButTheLease() {
    stubRole(okJson(roleBody("600")));
    stubTune(okJson(tuneBody(3600)));

    FetchResult r = fetch(VaultLeaseProvider.builder(session, CREDS).readRoleMaxTtl(false).build());

    assertThat(r.maxLeaseEnd()).isEmpty();
    wm.verify(0, getRequestedFor(urlPathEqualTo(ROLE)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"kv/data/app", "pki/issue/web", "database/static-creds/app", "database/creds/app/extra"})
  void pathsOtherThanCredsOfARole_haveNoRoleToRead(String path) {
    assertThat(VaultLeaseProvider.of(session, path).roleMaxTtl()).isEmpty();
  }

  @Test
  void credsPathOfANestedMount_readsThatMountsRole() {
    RoleMaxTtl role = VaultLeaseProvider.of(session, "team/a/database/creds/orders").roleMaxTtl().orElseThrow();

    assertThat(role.rolePath()).isEqualTo("team/a/database/roles/orders");
    assertThat(role.tunePath()).isEqualTo("sys/mounts/team/a/database/tune");
  }

  @ParameterizedTest(name = "maxTtl {0}")
  @CsvSource({"PT0S", "PT-1S"})
  void maxTtl_mustBePositive(Duration bad) {
    assertThatThrownBy(() -> VaultLeaseProvider.builder(session, CREDS).maxTtl(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxTtl must be greater than 0, but was " + bad);
  }

  @Test
  void settings_mayBeMadeOnce_andDeclaredMaxTtlExcludesReadingIt() {
    VaultLeaseProvider.Builder b = VaultLeaseProvider.builder(session, CREDS).maxTtl(Duration.ofHours(1));
    assertThatThrownBy(() -> b.maxTtl(Duration.ofHours(2)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("PT1H");
    b.readRoleMaxTtl(true);
    assertThatThrownBy(() -> b.readRoleMaxTtl(false)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("maxTtl(PT1H)");
  }

  /** With the max TTL known, the engine replaces a lease before it, though every renewal came back full. */
  @Test
  void engine_replacesTheLeaseBeforeItsAnnouncedMaxEnd() {
    stubRole(okJson(roleBody("600")));
    stubTune(okJson(tuneBody(3600)));

    List<Instant> rotations = runEngineFor(Duration.ofMinutes(10), VaultLeaseProvider.of(session, CREDS));

    assertThat(rotations).isNotEmpty();
    assertThat(rotations.get(0)).isBefore(ManualTime.DEFAULT_START.plusSeconds(600));
  }

  /** Without it the engine cannot know the lease ends: it renews, and would replace only after a short renewal. */
  @Test
  void engine_withoutMaxTtl_onlyRenews() {
    List<Instant> rotations = runEngineFor(Duration.ofMinutes(10),
        VaultLeaseProvider.builder(session, CREDS).readRoleMaxTtl(false).build());

    assertThat(rotations).isEmpty();
    wm.verify(moreThanOrExactly(10), putRequestedFor(urlPathEqualTo("/v1/sys/leases/renew")));
  }

  private List<Instant> runEngineFor(Duration duration, VaultLeaseProvider provider) {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS)).willReturn(okJson(
        leaseBody(60, true).replace("database/creds/orders/abc", "database/creds/orders/{{randomValue length=12 type='ALPHANUMERIC'}}"))
        .withTransformers("response-template")));
    wm.stubFor(put(urlPathEqualTo("/v1/sys/leases/renew")).willReturn(okJson("{\"renewable\":true,\"lease_duration\":60}")));
    wm.stubFor(put(urlPathEqualTo("/v1/sys/leases/revoke")).willReturn(aResponse().withStatus(204)));
    List<Instant> rotations = new ArrayList<>();
    RotatingCredential credential = RotatingCredential.builder("orders-db", provider)
        .clock(time.clock()).scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor())
        .random(new SplittableRandom(42))
        .listener(new CredentialListener() {
          @Override
          public void onRotated(CredentialRotated e) {
            rotations.add(e.time());
          }
        })
        .build();
    try {
      credential.start();
      time.advance(duration);
    } finally {
      credential.close();
    }
    return rotations;
  }

  private void stubRole(ResponseDefinitionBuilder answer) {
    wm.stubFor(get(urlPathEqualTo(ROLE)).willReturn(answer));
  }

  private void stubTune(ResponseDefinitionBuilder answer) {
    wm.stubFor(get(urlPathEqualTo(TUNE)).willReturn(answer));
  }

  private void tokenWithTtl(long ttl) {
    wm.stubFor(get(urlPathEqualTo("/v1/auth/token/lookup-self")).willReturn(okJson(
        "{\"data\":{\"accessor\":\"acc\",\"id\":\"" + TOKEN + "\",\"policies\":[\"app\"],\"renewable\":false,\"ttl\":" + ttl
            + ",\"type\":\"service\"}}")));
  }

  static String roleBody(String maxTtl) {
    return "{\"data\":{\"creation_statements\":[\"CREATE ROLE ...\"],\"credential_type\":\"password\",\"db_name\":\"pg\","
        + "\"default_ttl\":30,\"max_ttl\":" + maxTtl + "}}";
  }

  static String tuneBody(long maxLeaseTtl) {
    return "{\"data\":{\"default_lease_ttl\":2764800,\"description\":\"\",\"force_no_cache\":false,\"max_lease_ttl\":" + maxLeaseTtl + "}}";
  }

  static String leaseBody(long seconds, boolean renewable) {
    return "{\"request_id\":\"r1\",\"lease_id\":\"database/creds/orders/abc\",\"renewable\":" + renewable + ",\"lease_duration\":" + seconds
        + ",\"data\":{\"username\":\"v-orders-abc\",\"password\":\"" + SECRET + "\"},\"wrap_info\":null,\"warnings\":null,\"auth\":null}";
  }
}
