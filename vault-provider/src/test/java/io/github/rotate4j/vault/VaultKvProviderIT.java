package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.SecretValue;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(DevServers.class)
class VaultKvProviderIT {

  final OpenBaoDevServer bao;
  VaultSession session;
  String secretPath;

  VaultKvProviderIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  @BeforeEach
  void setUp() {
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
    secretPath = "it/kv-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown() {
    session.close();
  }

  void writeVersion(String apiKey) {
    bao.write("secret/data/" + secretPath, "{\"data\":{\"api_key\":\"" + apiKey + "\",\"region\":\"eu\"}}");
  }

  @Test
  void fetch_returnsCurrentVersionAndPreviousVersion() {
    writeVersion("key-one");
    writeVersion("key-two");
    VaultKvProvider provider = VaultKvProvider.of(session, "secret", secretPath);

    FetchResult result = provider.fetch(FetchContext.startup("api-key"));

    assertThat(result.current().version()).isEqualTo("2");
    assertThat(result.current().secretMap()).containsExactly(Map.entry("api_key", "key-two"), Map.entry("region", "eu"));
    assertThat(result.previous()).hasSize(1);
    assertThat(result.previous().get(0).version()).isEqualTo("1");
    assertThat(result.previous().get(0).secretMap()).containsEntry("api_key", "key-one");
    assertThat(result.current().issuedAt()).isAfterOrEqualTo(result.previous().get(0).issuedAt());
    assertThat(result.current().expiresAt()).isEmpty();
  }

  @Test
  void fetch_doesNotOfferDestroyedOrDeletedPreviousVersion() {
    writeVersion("key-one");
    writeVersion("key-two");
    bao.api("PUT", "secret/destroy/" + secretPath, "{\"versions\":[1]}");
    VaultKvProvider provider = VaultKvProvider.of(session, "secret", secretPath);

    assertThat(provider.fetch(FetchContext.startup("api-key")).previous()).isEmpty();

    writeVersion("key-three");
    bao.write("secret/delete/" + secretPath, "{\"versions\":[2]}");
    FetchResult afterDelete = provider.fetch(FetchContext.startup("api-key"));
    assertThat(afterDelete.current().version()).isEqualTo("3");
    assertThat(afterDelete.previous()).isEmpty();

    writeVersion("key-four");
    assertThat(provider.fetch(FetchContext.startup("api-key")).previous())
        .extracting(Credential::version).containsExactly("3");
  }

  @Test
  void fetch_mapsCustomMetadataAndNextRotation() {
    writeVersion("key-one");
    bao.write("secret/metadata/" + secretPath,
        "{\"custom_metadata\":{\"owner\":\"payments\",\"next_rotation\":\"2031-03-01T12:00:00Z\"}}");

    Credential c = VaultKvProvider.of(session, "secret", secretPath).fetch(FetchContext.startup("api-key")).current();

    assertThat(c.metadata()).containsEntry("owner", "payments").containsEntry("next_rotation", "2031-03-01T12:00:00Z");
    assertThat(c.nextRotation()).contains(Instant.parse("2031-03-01T12:00:00Z"));
  }

  @Test
  void fetch_readsDataOnlyForVersionsNotKnownYet() {
    writeVersion("key-one");
    writeVersion("key-two");
    VaultKvProvider provider = VaultKvProvider.of(session, "secret", secretPath);
    FetchResult first = provider.fetch(FetchContext.startup("api-key"));
    // a ring that holds versions 2 and 1 with marker values: if they come back, nothing was re-read
    Credential marked2 = Credential.builder("2").value(SecretValue.ofString("known-2")).issuedAt(first.current().issuedAt()).build();
    Credential marked1 = Credential.builder("1").value(SecretValue.ofString("known-1")).issuedAt(first.previous().get(0).issuedAt()).build();
    KeyRing ring = KeyRing.of(List.of(new KeyRing.Entry(marked2, KeySlot.CURRENT, null), new KeyRing.Entry(marked1, KeySlot.PREVIOUS, null)));
    FetchContext polling = new FetchContext("api-key", FetchReason.SCHEDULED, Optional.of(ring));

    FetchResult unchanged = provider.fetch(polling);
    assertThat(unchanged.current().secretString()).isEqualTo("known-2");
    assertThat(unchanged.previous().get(0).secretString()).isEqualTo("known-1");

    writeVersion("key-three");
    FetchResult rotated = provider.fetch(polling);
    assertThat(rotated.current().version()).isEqualTo("3");
    assertThat(rotated.current().secretMap()).containsEntry("api_key", "key-three");
    assertThat(rotated.previous().get(0).secretString()).isEqualTo("known-2");
  }

  @Test
  void fetch_missingSecret_isPermanentAndNamesThePath() {
    BackendException e = catchThrowableOfType(BackendException.class,
        () -> VaultKvProvider.of(session, "secret", secretPath).fetch(FetchContext.startup("api-key")));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("secret/metadata/" + secretPath).contains("404").doesNotContain(bao.rootToken());
  }

  @Test
  void fetch_withoutPermission_isPermanent403() {
    writeVersion("key-one");
    bao.api("PUT", "sys/policies/acl/it-nothing", "{\"policy\":\"path \\\"secret/data/nothing\\\" { capabilities = [\\\"read\\\"] }\"}");
    String token = bao.write("auth/token/create", "{\"policies\":[\"it-nothing\"],\"ttl\":\"5m\"}")
        .get("auth").asObject().getString("client_token", null);
    try (VaultSession limited = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(token)).build()) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> VaultKvProvider.of(limited, "secret", secretPath).fetch(FetchContext.startup("api-key")));

      assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(e.getMessage()).contains("403").contains(secretPath).doesNotContain(token);
    }
  }

  @Test
  void fetch_deleteVersionAfter_futureDeletionTimeIsNotDeleted() {
    bao.write("secret/metadata/" + secretPath, "{\"delete_version_after\":\"1h\"}");
    writeVersion("key-one");
    writeVersion("key-two");
    // Vault stamps a future deletion_time on every version
    JsonObject meta = bao.read("secret/metadata/" + secretPath).get("data").asObject();
    assertThat(meta.get("versions").asObject().get("2").asObject().getString("deletion_time", "")).isNotEmpty();

    FetchResult result = VaultKvProvider.of(session, "secret", secretPath).fetch(FetchContext.startup("api-key"));

    assertThat(result.current().version()).isEqualTo("2");
    assertThat(result.current().secretMap()).containsEntry("api_key", "key-two");
    assertThat(result.previous()).extracting(Credential::version).containsExactly("1");
  }

  @Test
  void fetch_secretDeletedAndRecreated_readsTheNewVersionsDespiteEqualNumbers() {
    writeVersion("value-A");
    writeVersion("value-B");
    VaultKvProvider provider = VaultKvProvider.of(session, "secret", secretPath);
    FetchResult before = provider.fetch(FetchContext.startup("api-key"));
    KeyRing ring = KeyRing.of(List.of(
        new KeyRing.Entry(before.current(), KeySlot.CURRENT, null),
        new KeyRing.Entry(before.previous().get(0), KeySlot.PREVIOUS, null)));

    bao.api("DELETE", "secret/metadata/" + secretPath, null);
    writeVersion("value-C");
    writeVersion("value-D");
    FetchResult after = provider.fetch(new FetchContext("api-key", FetchReason.SCHEDULED, Optional.of(ring)));

    assertThat(after.current().secretMap()).containsEntry("api_key", "value-D");
    assertThat(after.previous()).singleElement()
        .satisfies(p -> assertThat(p.secretMap()).containsEntry("api_key", "value-C"));
    // the new versions must not share a name with the old ones the ring still holds
    assertThat(after.current().version()).startsWith("2@").isNotEqualTo(before.current().version());
    assertThat(after.previous().get(0).version()).startsWith("1@");

    // once known, they are reused by their new names, not read again (marker values come back)
    Credential markedD = Credential.builder(after.current().version()).value(SecretValue.ofString("known-D"))
        .issuedAt(after.current().issuedAt()).build();
    KeyRing next = KeyRing.of(List.of(new KeyRing.Entry(markedD, KeySlot.CURRENT, null)));
    FetchResult again = provider.fetch(new FetchContext("api-key", FetchReason.SCHEDULED, Optional.of(next)));
    assertThat(again.current().version()).isEqualTo(after.current().version());
    assertThat(again.current().secretString()).isEqualTo("known-D");
  }
}
