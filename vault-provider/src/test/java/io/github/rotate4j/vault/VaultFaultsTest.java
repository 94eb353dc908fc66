package io.github.rotate4j.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.FetchContext;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Faults a real Vault will not produce on demand, and how each is classified and reported. */
class VaultFaultsTest {

  static final String TOKEN = "s.TOPSECRET-client-token-4711";
  static final String SECRET = "hunter2-db-password-0815";
  static final String CREDS_PATH = "database/creds/orders";
  static final String KV_METADATA = "secret/metadata/payments/api-key";

  WireMockServer wm;
  VaultSession session;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    wm.stubFor(get(urlPathEqualTo("/v1/auth/token/lookup-self"))
        .willReturn(okJson(lookupSelfBody())));
    session = VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.token(TOKEN))
        .requestTimeout(Duration.ofSeconds(1))
        .build();
  }

  @AfterEach
  void stop() {
    session.close();
    wm.stop();
  }

  static Stream<Arguments> faults() {
    return Stream.of(
        Arguments.of("500", aResponse().withStatus(500).withBody("{\"errors\":[\"internal error\"]}"), FailureKind.TRANSIENT, "HTTP 500"),
        Arguments.of("503 sealed", aResponse().withStatus(503).withBody("{\"errors\":[\"Vault is sealed\"]}"), FailureKind.TRANSIENT, "HTTP 503"),
        Arguments.of("429", aResponse().withStatus(429).withBody("{\"errors\":[\"request path rate limited\"]}"), FailureKind.TRANSIENT, "HTTP 429"),
        Arguments.of("slow", okJson(leaseBody()).withFixedDelay(3_000), FailureKind.TRANSIENT, "no response within PT1S"),
        Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), FailureKind.TRANSIENT, "I/O error"),
        Arguments.of("garbage", aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"lease_id\":\"database/creds/orders/abc\",\"data\":{\"password\":\"" + SECRET + "\""),
            FailureKind.PERMANENT, "malformed response"),
        Arguments.of("not an object", okJson("[\"" + SECRET + "\"]"), FailureKind.PERMANENT, "malformed response"),
        Arguments.of("403", aResponse().withStatus(403).withBody("{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}"),
            FailureKind.PERMANENT, "HTTP 403 permission denied"),
        Arguments.of("404", aResponse().withStatus(404).withBody("{\"errors\":[]}"), FailureKind.PERMANENT, "HTTP 404 not found"),
        Arguments.of("400", aResponse().withStatus(400).withBody("{\"errors\":[\"invalid request\"]}"), FailureKind.PERMANENT, "HTTP 400"));
  }

  @ParameterizedTest(name = "lease read, {0}")
  @MethodSource("faults")
  void leaseFetch_classifiesFault(String label, ResponseDefinitionBuilder response, FailureKind kind, String expected) {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS_PATH)).willReturn(response));
    VaultLeaseProvider provider = leaseProvider(session);

    BackendException e = catchThrowableOfType(BackendException.class, () -> provider.fetch(FetchContext.startup("orders-db")));

    assertClassified(e, kind, expected, CREDS_PATH);
    assertThat(e.credentialName()).contains("orders-db");
  }

  @ParameterizedTest(name = "kv metadata read, {0}")
  @MethodSource("faults")
  void kvFetch_classifiesFault(String label, ResponseDefinitionBuilder response, FailureKind kind, String expected) {
    wm.stubFor(get(urlPathEqualTo("/v1/" + KV_METADATA)).willReturn(response));
    VaultKvProvider provider = VaultKvProvider.of(session, "secret", "payments/api-key");

    BackendException e = catchThrowableOfType(BackendException.class, () -> provider.fetch(FetchContext.startup("api-key")));

    assertClassified(e, kind, expected, KV_METADATA);
  }

  @ParameterizedTest(name = "lease renewal, {0}")
  @MethodSource("faults")
  void leaseRenew_classifiesFault(String label, ResponseDefinitionBuilder response, FailureKind kind, String expected) {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS_PATH)).willReturn(okJson(leaseBody())));
    wm.stubFor(put(urlPathEqualTo("/v1/sys/leases/renew")).willReturn(response));
    VaultLeaseProvider provider = leaseProvider(session);
    Credential lease = provider.fetch(FetchContext.startup("orders-db")).current();

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> provider.renew(lease, FetchContext.startup("orders-db")));

    assertClassified(e, kind, expected, "sys/leases/renew");
  }

  @ParameterizedTest(name = "login, {0}")
  @MethodSource("faults")
  void appRoleLogin_classifiesFault(String label, ResponseDefinitionBuilder response, FailureKind kind, String expected) {
    wm.stubFor(post(urlPathEqualTo("/v1/auth/approle/login")).willReturn(response));
    wm.stubFor(any(urlPathEqualTo("/v1/" + CREDS_PATH)).willReturn(okJson(leaseBody())));
    try (VaultSession appRole = VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.appRole("role-id-1", SECRET))
        .requestTimeout(Duration.ofSeconds(1))
        .build()) {
      VaultLeaseProvider provider = leaseProvider(appRole);

      BackendException e = catchThrowableOfType(BackendException.class, () -> provider.fetch(FetchContext.startup("orders-db")));

      if (label.equals("garbage") || label.equals("not an object")) {
        // the driver's login refuses anything that is not a JSON object with an auth block
        assertThat(e).isInstanceOf(PermanentBackendException.class);
        assertThat(e.getMessage()).contains("auth/approle/login").doesNotContain(SECRET).doesNotContain(TOKEN);
      } else {
        assertClassified(e, kind, expected.startsWith("HTTP") ? expected.substring(0, 8) : expected, "auth/approle/login");
      }
    }
  }

  @Test
  void successfulLeaseRead_typedUsernamePassword_andNoSecretInToString() {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS_PATH)).willReturn(okJson(leaseBody())));
    VaultLeaseProvider provider = leaseProvider(session);

    Credential c = provider.fetch(FetchContext.startup("orders-db")).current();

    assertThat(c.value()).isInstanceOf(SecretValue.UsernamePassword.class);
    assertThat(c.usernamePassword().password()).isEqualTo(SECRET);
    assertThat(c.leaseId()).contains("database/creds/orders/abc");
    assertThat(c.version()).isEqualTo("database/creds/orders/abc");
    assertThat(c.renewable()).isTrue();
    assertThat(Duration.between(c.issuedAt(), c.expiresAt().orElseThrow())).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.toString()).doesNotContain(SECRET);
    assertThat(session.toString()).doesNotContain(TOKEN);
  }

  @Test
  void leaseRead_withoutLease_isPermanent() {
    wm.stubFor(get(urlPathEqualTo("/v1/secret/plain")).willReturn(okJson("{\"lease_id\":\"\",\"data\":{\"k\":\"" + SECRET + "\"}}")));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> VaultLeaseProvider.of(session, "secret/plain").fetch(FetchContext.startup("x")));

    assertThat(e).isInstanceOf(PermanentBackendException.class);
    assertThat(e.getMessage()).contains("secret/plain").contains("no lease").doesNotContain(SECRET);
  }

  @Test
  void leaseRenew_parsesNewDurationFromRawBody() {
    wm.stubFor(get(urlPathEqualTo("/v1/" + CREDS_PATH)).willReturn(okJson(leaseBody())));
    wm.stubFor(put(urlPathEqualTo("/v1/sys/leases/renew")).willReturn(okJson(
        "{\"lease_id\":\"database/creds/orders/abc\",\"renewable\":true,\"lease_duration\":20,\"data\":null}")));
    VaultLeaseProvider provider = leaseProvider(session);
    Credential lease = provider.fetch(FetchContext.startup("orders-db")).current();
    Instant before = Instant.now();

    Credential renewed = provider.renew(lease, FetchContext.startup("orders-db"));

    // 20 s from the renewal, not 30 s from issue
    assertThat(renewed.expiresAt().orElseThrow()).isBetween(before.plusSeconds(19), Instant.now().plusSeconds(21));
    assertThat(renewed.usernamePassword().password()).isEqualTo(SECRET);
    wm.verify(com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor(urlPathEqualTo("/v1/sys/leases/renew"))
        .withHeader("X-Vault-Token", com.github.tomakehurst.wiremock.client.WireMock.equalTo(TOKEN))
        .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.equalToJson(
            "{\"lease_id\":\"database/creds/orders/abc\",\"increment\":30}")));
  }

  static String lookupSelfBody() {
    return "{\"data\":{\"accessor\":\"acc\",\"creation_time\":1700000000,\"creation_ttl\":0,\"display_name\":\"token\","
        + "\"explicit_max_ttl\":0,\"expire_time\":null,\"id\":\"" + TOKEN + "\",\"num_uses\":0,\"orphan\":true,"
        + "\"path\":\"auth/token/create\",\"policies\":[\"root\"],\"renewable\":false,\"ttl\":0,\"type\":\"service\"}}";
  }

  static String leaseBody() {
    return "{\"request_id\":\"r1\",\"lease_id\":\"database/creds/orders/abc\",\"renewable\":true,\"lease_duration\":30,"
        + "\"data\":{\"username\":\"v-orders-abc\",\"password\":\"" + SECRET + "\"},\"wrap_info\":null,\"warnings\":null,\"auth\":null}";
  }

  static void assertClassified(BackendException e, FailureKind kind, String expected, String path) {
    assertThat(e).as("exception").isNotNull();
    assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
    assertThat(e).isInstanceOf(kind == FailureKind.TRANSIENT ? TransientBackendException.class : PermanentBackendException.class);
    assertThat(e.getMessage()).contains("[vault ").contains(path).contains(expected)
        .doesNotContain(TOKEN).doesNotContain(SECRET);
    assertThat(e.backend()).contains("vault");
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain(TOKEN).doesNotContain(SECRET);
    }
  }

  /** A lease provider that reads only the lease: each test stubs exactly the calls it is about. */
  private static VaultLeaseProvider leaseProvider(VaultSession session) {
    return VaultLeaseProvider.builder(session, CREDS_PATH).readRoleMaxTtl(false).build();
  }
}
