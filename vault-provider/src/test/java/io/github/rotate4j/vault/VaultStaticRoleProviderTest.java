package io.github.rotate4j.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialOverdue;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Response parsing, faults and the refresh schedule of database static roles, against WireMock. */
class VaultStaticRoleProviderTest {

  static final String PATH = "database/static-creds/orders";
  static final String PASSWORD_1 = "static-pw-1-Zq8Rk2";
  static final String PASSWORD_2 = "static-pw-2-Lm4Tx9";
  static final String PASSWORD_3 = "static-pw-3-Hv7Pw1";
  static final Instant T0 = ManualTime.DEFAULT_START;

  final ManualTime time = ManualTime.create();
  final List<CredentialEvent> events = new CopyOnWriteArrayList<>();
  WireMockServer wm;
  VaultSession session;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    wm.stubFor(get(urlPathEqualTo("/v1/auth/token/lookup-self")).willReturn(okJson(VaultFaultsTest.lookupSelfBody())));
    session = VaultSession.builder()
        .address("http://127.0.0.1:" + wm.port())
        .auth(VaultAuth.token(VaultFaultsTest.TOKEN))
        .requestTimeout(Duration.ofSeconds(1))
        .clock(time.clock())
        .scheduler(time.scheduler())
        .build();
  }

  @AfterEach
  void stop() {
    session.close();
    wm.stop();
  }

  /** Vault's answer for a role rotated at {@code rotated}, read at the manual clock's time. */
  static String body(Instant rotated, long periodSeconds, Instant now, String password) {
    long ttl = Math.max(0, Duration.between(now, rotated.plusSeconds(periodSeconds)).toSeconds());
    return "{\"request_id\":\"r1\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
        + "\"data\":{\"last_vault_rotation\":\"" + rotated + "\",\"password\":\"" + password + "\","
        + "\"rotation_period\":" + periodSeconds + ",\"ttl\":" + ttl + ",\"username\":\"orders_app\"},"
        + "\"wrap_info\":null,\"warnings\":null,\"auth\":null}";
  }

  void vaultAnswers(Instant rotated, long periodSeconds, String password) {
    vaultAnswers(okJson(body(rotated, periodSeconds, time.now(), password)));
  }

  void vaultAnswers(ResponseDefinitionBuilder response) {
    wm.stubFor(get(urlPathEqualTo("/v1/" + PATH)).willReturn(response));
  }

  VaultStaticRoleProvider provider() {
    return VaultStaticRoleProvider.builder(session, PATH).build();
  }

  RotatingCredential credential(RefreshPolicy policy) {
    return RotatingCredential.builder("orders-db", provider())
        .refreshPolicy(policy)
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor())
        .random(new Random(7))
        .listener(CredentialListener.forEvery(events::add))
        .build();
  }

  <T extends CredentialEvent> List<T> events(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  // ---- parsing ------------------------------------------------------------------------------

  @Test
  void fetch_versionFromLastRotation_noExpiry_nextChangeAtScheduledRotation() {
    Instant rotated = T0.minusSeconds(20).plusMillis(123);
    vaultAnswers(rotated, 60, PASSWORD_1);

    FetchResult r = provider().fetch(FetchContext.startup("orders-db"));

    Credential c = r.current();
    assertThat(c.version()).isEqualTo(rotated.toString()).doesNotContain(PASSWORD_1);
    assertThat(c.value()).isEqualTo(SecretValue.ofUsernamePassword("orders_app", PASSWORD_1));
    assertThat(c.issuedAt()).isEqualTo(rotated);
    assertThat(c.expiresAt()).as("a rotation ends no session: no hard expiry").isEmpty();
    assertThat(c.leaseId()).isEmpty();
    assertThat(c.renewable()).isFalse();
    assertThat(r.nextChange()).contains(rotated.plusSeconds(60));
    assertThat(c.nextRotation()).contains(rotated.plusSeconds(60).plus(VaultStaticRoleProvider.DEFAULT_OVERDUE_TOLERANCE));
    assertThat(c.metadata()).containsEntry(VaultStaticRoleProvider.LAST_VAULT_ROTATION, rotated.toString())
        .containsEntry(VaultStaticRoleProvider.ROTATION_PERIOD, "60");
    assertThat(r.previous()).isEmpty();
    assertThat(c.toString()).doesNotContain(PASSWORD_1);
    assertThat(r.toString()).doesNotContain(PASSWORD_1);
    wm.verify(getRequestedFor(urlPathEqualTo("/v1/" + PATH)).withHeader("X-Vault-Token",
        com.github.tomakehurst.wiremock.client.WireMock.equalTo(VaultFaultsTest.TOKEN)));
  }

  @Test
  void fetch_afterRotation_reportsTheOldPasswordAsPrevious() {
    VaultStaticRoleProvider provider = provider();
    Instant first = T0.minusSeconds(10);
    vaultAnswers(first, 30, PASSWORD_1);
    provider.fetch(FetchContext.startup("orders-db"));
    time.advance(Duration.ofSeconds(21));
    Instant second = first.plusSeconds(30);
    vaultAnswers(second, 30, PASSWORD_2);

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));
    FetchResult again = provider.fetch(FetchContext.startup("orders-db"));

    assertThat(r.current().version()).isEqualTo(second.toString());
    assertThat(r.current().usernamePassword().password()).isEqualTo(PASSWORD_2);
    assertThat(r.previous()).singleElement().satisfies(p -> {
      assertThat(p.version()).isEqualTo(first.toString());
      assertThat(p.usernamePassword().password()).isEqualTo(PASSWORD_1);
    });
    assertThat(again.previous()).as("kept until the next rotation").extracting(Credential::version)
        .containsExactly(first.toString());
  }

  @Test
  void fetch_scheduleBasedRole_withoutPeriod_announcesNowPlusTtl() {
    vaultAnswers(okJson("{\"lease_id\":\"\",\"data\":{\"last_vault_rotation\":\"2029-12-31T23:00:00Z\","
        + "\"password\":\"" + PASSWORD_1 + "\",\"ttl\":3600,\"rotation_schedule\":\"0 * * * *\",\"username\":\"u\"}}"));

    FetchResult r = provider().fetch(FetchContext.startup("orders-db"));

    assertThat(r.nextChange()).contains(T0.plusSeconds(3600));
    assertThat(r.current().metadata()).doesNotContainKey(VaultStaticRoleProvider.ROTATION_PERIOD);
  }

  @Test
  void fetch_roleNeverRotatedByVault_isIssuedNow() {
    vaultAnswers(okJson("{\"lease_id\":\"\",\"data\":{\"last_vault_rotation\":\"0001-01-01T00:00:00Z\","
        + "\"password\":\"" + PASSWORD_1 + "\",\"rotation_period\":3600,\"ttl\":0,\"username\":\"u\"}}"));

    FetchResult r = provider().fetch(FetchContext.startup("orders-db"));

    assertThat(r.current().issuedAt()).isEqualTo(T0);
    assertThat(r.nextChange()).contains(T0);
  }

  @Test
  void fetch_leasedPath_isPermanentAndPointsToLeaseProvider() {
    vaultAnswers(okJson(VaultFaultsTest.leaseBody()));

    BackendException e = catchThrowableOfType(BackendException.class, () -> provider().fetch(FetchContext.startup("orders-db")));

    assertThat(e).isInstanceOf(PermanentBackendException.class);
    assertThat(e.getMessage()).contains("orders-db").contains(PATH).contains("VaultLeaseProvider")
        .doesNotContain(VaultFaultsTest.SECRET);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "{\"lease_id\":\"\",\"data\":{\"password\":\"" + PASSWORD_1 + "\",\"username\":\"u\",\"ttl\":5}}",
      "{\"lease_id\":\"\",\"data\":{\"last_vault_rotation\":\"yesterday\",\"password\":\"" + PASSWORD_1 + "\",\"username\":\"u\"}}",
      "{\"lease_id\":\"\",\"data\":{\"last_vault_rotation\":\"2029-12-31T23:00:00Z\",\"username\":\"u\"}}",
      "{\"lease_id\":\"\",\"data\":{\"last_vault_rotation\":\"2029-12-31T23:00:00Z\",\"password\":\"" + PASSWORD_1
          + "\",\"username\":\"u\",\"ttl\":\"soon\"}}",
      "{\"lease_id\":\"\",\"data\":null}"})
  void fetch_malformedResponse_isPermanent_namesPath_neverThePassword(String json) {
    vaultAnswers(okJson(json));

    BackendException e = catchThrowableOfType(BackendException.class, () -> provider().fetch(FetchContext.startup("orders-db")));

    VaultFaultsTest.assertClassified(e, FailureKind.PERMANENT, "malformed response", PATH);
    assertThat(e.getMessage()).contains("orders-db").doesNotContain(PASSWORD_1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.github.rotate4j.vault.VaultFaultsTest#faults")
  void fetch_classifiesFault(String label, ResponseDefinitionBuilder response, FailureKind kind, String expected) {
    vaultAnswers(response);

    BackendException e = catchThrowableOfType(BackendException.class, () -> provider().fetch(FetchContext.startup("orders-db")));

    VaultFaultsTest.assertClassified(e, kind, expected, PATH);
  }

  @Test
  void builder_validatesAtTheSetter() {
    assertThatThrownBy(() -> VaultStaticRoleProvider.builder(session, " / "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("' / '");
    assertThatThrownBy(() -> VaultStaticRoleProvider.builder(session, "database", "a/b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a/b'");
    assertThatThrownBy(() -> VaultStaticRoleProvider.builder(session, PATH).overdueTolerance(Duration.ofSeconds(-3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-3S");
    VaultStaticRoleProvider.Builder b = VaultStaticRoleProvider.builder(session, PATH).overdueTolerance(Duration.ZERO);
    assertThatThrownBy(() -> b.overdueTolerance(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
    assertThat(VaultStaticRoleProvider.builder(session, "/database/", "orders").build().path()).isEqualTo(PATH);
  }

  // ---- with the engine -------------------------------------------------------------------------

  @Test
  void engine_pollsJustAfterVaultRotates_keepsOldAsPrevious_neverFailsGet() {
    Instant first = T0.minusSeconds(5);
    vaultAnswers(first, 60, PASSWORD_1);
    try (RotatingCredential c = credential(RefreshPolicy.ofDefaults())) {
      c.start();
      Instant due = first.plusSeconds(60);
      assertThat(c.status().nextRefresh()).hasValueSatisfying(next ->
          assertThat(next).as("right after the rotation, not after the 5-minute poll").isBetween(due, due.plusSeconds(1)));

      // Vault may rotate up to a second early (its queue is keyed by whole seconds)
      Instant second = due.minusMillis(400);
      time.advanceTo(second);
      vaultAnswers(second, 60, PASSWORD_2);
      time.advanceTo(due);
      assertThat(c.get().usernamePassword().password()).as("get() keeps serving across the rotation instant")
          .isEqualTo(PASSWORD_1);
      time.advance(Duration.ofSeconds(1));

      assertThat(c.get().usernamePassword().password()).isEqualTo(PASSWORD_2);
      assertThat(c.get().version()).isEqualTo(second.toString());
      assertThat(c.keyRing().previous()).extracting(Credential::version).containsExactly(first.toString());
      assertThat(c.verify(PASSWORD_1)).contains(new KeyMatch(first.toString(), KeySlot.PREVIOUS));
      assertThat(events(CredentialRotated.class)).singleElement()
          .satisfies(e -> assertThat(e.newVersion()).isEqualTo(second.toString()));
      assertThat(events(CredentialOverdue.class)).isEmpty();
      assertThat(c.status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @Test
  void engine_vaultLate_checksAgainSoon_thenReportsOverdueOnlyPastTolerance() {
    Instant first = T0.minusSeconds(5);
    vaultAnswers(first, 60, PASSWORD_1);
    try (RotatingCredential c = credential(RefreshPolicy.ofDefaults())) {
      c.start();
      Instant due = first.plusSeconds(60);
      time.advanceTo(due.plusSeconds(4));
      int readsBy4s = wm.findAll(getRequestedFor(urlPathEqualTo("/v1/" + PATH))).size();
      assertThat(readsBy4s).as("start-up, the poll after the due time and rechecks while Vault is late").isBetween(3, 5);
      assertThat(events(CredentialOverdue.class)).as("within Vault's 5 s rotation check").isEmpty();

      time.advanceTo(due.plus(VaultStaticRoleProvider.DEFAULT_OVERDUE_TOLERANCE).plusSeconds(1));
      assertThat(events(CredentialOverdue.class)).singleElement()
          .satisfies(e -> assertThat(e.version()).isEqualTo(first.toString()));
      assertThat(c.get().usernamePassword().password()).as("an overdue role is still served").isEqualTo(PASSWORD_1);

      time.advanceTo(due.plus(Duration.ofMinutes(10)));
      int readsBy10m = wm.findAll(getRequestedFor(urlPathEqualTo("/v1/" + PATH))).size();
      assertThat(readsBy10m - readsBy4s).as("rechecks thin out while Vault stays late").isLessThan(15);

      Instant late = time.now();
      vaultAnswers(late, 60, PASSWORD_2);
      time.advance(Duration.ofMinutes(5).plusSeconds(31));
      assertThat(c.get().version()).isEqualTo(late.toString());
    }
  }

  @Test
  void engine_threeRotations_oneVersionChangeEach() {
    Instant rotated = T0.minusSeconds(1);
    vaultAnswers(rotated, 15, PASSWORD_1);
    String[] passwords = {PASSWORD_2, PASSWORD_3, PASSWORD_1 + "x"};
    try (RotatingCredential c = credential(RefreshPolicy.ofDefaults())) {
      c.start();
      for (String next : passwords) {
        Instant previous = rotated;
        rotated = rotated.plusSeconds(15);
        time.advanceTo(rotated);
        vaultAnswers(rotated, 15, next);
        time.advance(Duration.ofMillis(1100));
        assertThat(c.get().usernamePassword().password()).isEqualTo(next);
        assertThat(c.keyRing().previous().get(0).version()).isEqualTo(previous.toString());
      }
      assertThat(events(CredentialRotated.class)).hasSize(3);
      assertThat(c.status().rotations()).isEqualTo(3);
    }
  }
}
