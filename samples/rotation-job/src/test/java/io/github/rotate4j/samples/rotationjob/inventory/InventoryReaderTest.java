package io.github.rotate4j.samples.rotationjob.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InventoryReaderTest {

  private static final Path FILE = Path.of("/etc/rotation/inventory.yaml");

  private static final String FULL = """
      overdueAfter: 2d
      secrets:
        - name: payments-api-key
          description: Key for the payments provider
          owner: team-payments
          consumers: [checkout, refunds]
          rotationFrequency: 30d
          gracePeriod: 2h
          unusedFor: 20m
          distributionDelay: 1m
          store:
            type: vault-kv
            address: http://127.0.0.1:8200
            mount: kv
            path: payments/api-key
            field: key
            tokenEnv: ROTATOR_VAULT_TOKEN
          issuer:
            type: demo
            url: http://127.0.0.1:8787
            account: payments
            adminTokenEnv: DEMO_ADMIN
        - name: search-api-key
          owner: team-search
          rotationFrequency: P90D
          store:
            type: aws
            secretId: prod/search/api-key
            region: eu-west-1
          issuer:
            type: demo
            url: http://127.0.0.1:8787
            account: search
        - name: demo-key
          owner: me
          rotationFrequency: 15m
          store: {type: file, path: state/demo-key.json}
          issuer: {type: demo, url: "http://127.0.0.1:8787", account: demo}
      """;

  @Test
  void readsEveryField() {
    Inventory inventory = InventoryReader.parse(FILE, FULL);

    assertThat(inventory.overdueAfter()).isEqualTo(Duration.ofDays(2));
    assertThat(inventory.entries()).extracting(InventoryEntry::name)
        .containsExactly("payments-api-key", "search-api-key", "demo-key");

    InventoryEntry payments = inventory.entry("payments-api-key").orElseThrow();
    assertThat(payments.description()).isEqualTo("Key for the payments provider");
    assertThat(payments.owner()).isEqualTo("team-payments");
    assertThat(payments.consumers()).containsExactly("checkout", "refunds");
    assertThat(payments.rotationFrequency()).isEqualTo(Duration.ofDays(30));
    assertThat(payments.gracePeriod()).isEqualTo(Duration.ofHours(2));
    assertThat(payments.unusedFor()).isEqualTo(Duration.ofMinutes(20));
    assertThat(payments.distributionDelay()).isEqualTo(Duration.ofMinutes(1));
    assertThat(payments.store()).isEqualTo(new StoreSpec.VaultKv(Optional.of(URI.create("http://127.0.0.1:8200")),
        "kv", "payments/api-key", "key", "ROTATOR_VAULT_TOKEN"));
    assertThat(payments.issuer()).isEqualTo(new IssuerSpec.Demo(URI.create("http://127.0.0.1:8787"), "payments",
        Optional.of("DEMO_ADMIN")));

    InventoryEntry search = inventory.entry("search-api-key").orElseThrow();
    assertThat(search.description()).isEmpty();
    assertThat(search.consumers()).isEmpty();
    assertThat(search.rotationFrequency()).isEqualTo(Duration.ofDays(90));
    assertThat(search.gracePeriod()).isEqualTo(InventoryReader.DEFAULT_GRACE_PERIOD);
    assertThat(search.unusedFor()).as("default: half the grace period").isEqualTo(Duration.ofMinutes(30));
    assertThat(search.distributionDelay()).isZero();
    assertThat(search.store()).isEqualTo(new StoreSpec.Aws("prod/search/api-key", Optional.of("eu-west-1"), Optional.empty()));

    InventoryEntry demo = inventory.entry("demo-key").orElseThrow();
    assertThat(demo.store()).isEqualTo(new StoreSpec.File(Path.of("/etc/rotation/state/demo-key.json")));
    assertThat(demo.gracePeriod()).as("default grace is at most half the frequency").isEqualTo(Duration.ofSeconds(450));
  }

  @Test
  void defaultsOverdueAfterAndVaultSettings() {
    Inventory inventory = InventoryReader.parse(FILE, """
        secrets:
          - name: a
            owner: o
            rotationFrequency: 7d
            store: {type: vault-kv, path: a}
            issuer: {type: demo, url: "http://127.0.0.1:1", account: a}
        """);
    assertThat(inventory.overdueAfter()).isEqualTo(Inventory.DEFAULT_OVERDUE_AFTER);
    assertThat(inventory.entries().get(0).store())
        .isEqualTo(new StoreSpec.VaultKv(Optional.empty(), "secret", "a", "api_key", "VAULT_TOKEN"));
  }

  @Test
  void readsFromDiskAndNamesAMissingFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("inventory.yaml");
    assertThatThrownBy(() -> InventoryReader.read(file))
        .isInstanceOf(InventoryException.class)
        .hasMessage(file + ": no such file");
    Files.writeString(file, FULL);
    assertThat(InventoryReader.read(file).entries()).hasSize(3);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      missing name              | name: null                       | secrets[0]: field 'name' is required
      bad name                  | name: 'has space'                | secrets[0] 'has space': field 'name' 'has space' is not a valid name
      missing owner             | owner: null                      | secrets[0] 'a': field 'owner' is required
      bad frequency             | rotationFrequency: 30x           | secrets[0] 'a': field 'rotationFrequency' '30x' is not a duration
      zero frequency            | rotationFrequency: 0d            | secrets[0] 'a': field 'rotationFrequency' must be positive, but was 0d
      missing frequency         | rotationFrequency: null          | secrets[0] 'a': field 'rotationFrequency' is required
      grace too long            | gracePeriod: 8d                  | secrets[0] 'a': field 'gracePeriod' PT192H must be shorter than rotationFrequency PT168H
      unused longer than grace  | unusedFor: 2h                    | secrets[0] 'a': field 'unusedFor' PT2H must not be longer than gracePeriod PT1H
      negative delay            | distributionDelay: '-PT1M'       | secrets[0] 'a': field 'distributionDelay' must not be negative, but was -PT1M
      unknown field             | rotationFrequncy: 7d             | secrets[0] 'a': field 'rotationFrequncy' is not known here
      consumers not a list      | consumers: checkout              | secrets[0] 'a': field 'consumers' must be a list
      missing store             | store: null                      | secrets[0] 'a': field 'store' is required
      unknown store type        | store: {type: redis, path: x}    | secrets[0] 'a' store: field 'type' unknown store type 'redis'; use vault-kv, aws, in-memory or file
      vault without path        | store: {type: vault-kv}          | secrets[0] 'a' store: field 'path' is required
      aws without id            | store: {type: aws}               | secrets[0] 'a' store: field 'secretId' is required for an aws store
      secret in the file        | store: {type: vault-kv, path: p, token: s3cr3t} | secrets[0] 'a' store: field 'token' is not known here
      env name with a value     | store: {type: vault-kv, path: p, tokenEnv: 'hvs.abc'} | secrets[0] 'a' store: field 'tokenEnv' 'hvs.abc' is not an environment variable name
      aws bad endpoint          | store: {type: aws, secretId: s, endpoint: 'localhost:4566'} | secrets[0] 'a' store: field 'endpoint' 'localhost:4566' is not an http(s) URL with a host
      unknown issuer            | issuer: {type: stripe}           | secrets[0] 'a' issuer: field 'type' unknown issuer type 'stripe'
      issuer without url        | issuer: {type: demo, account: a} | secrets[0] 'a' issuer: field 'url' is required
      """)
  void errorsNameFileEntryAndField(String caseName, String override, String expected) {
    assertThatThrownBy(() -> InventoryReader.parse(FILE, entryWith(override)))
        .as(caseName)
        .isInstanceOf(InventoryException.class)
        .hasMessageStartingWith(FILE + ": " + expected);
  }

  @Test
  void duplicateNamesAreRefused() {
    String one = entryWith("owner: o").substring("secrets:\n".length());
    assertThatThrownBy(() -> InventoryReader.parse(FILE, "secrets:\n" + one + one))
        .isInstanceOf(InventoryException.class)
        .hasMessage(FILE + ": secrets[1] 'a': field 'name': 'a' is used by an earlier entry; names must be unique");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      empty file        | ''                        | is empty; it needs a 'secrets' list
      no secrets        | 'overdueAfter: 1d'        | field 'secrets' must be a list of secrets
      not yaml          | 'secrets: [a, b'          | not valid YAML
      top-level list    | '- a'                     | the top level must be a mapping of fields
      unknown top field | 'secret: []'              | field 'secret' is not known here; expected one of overdueAfter, secrets
      entry not a map   | 'secrets: [x]'            | secrets[0] must be a mapping of fields
      field given twice | 'secrets: [{name: a, name: b}]' | not valid YAML: Duplicate field 'name'
      """)
  void fileLevelErrors(String caseName, String text, String expected) {
    assertThatThrownBy(() -> InventoryReader.parse(FILE, text))
        .as(caseName)
        .isInstanceOf(InventoryException.class)
        .hasMessageStartingWith(FILE + ": " + expected);
  }

  @ParameterizedTest
  @CsvSource({"30d, P30D", "12h, PT12H", "15m, PT15M", "45s, PT45S", "P1DT2H, PT26H", "PT0.5S, PT0.5S"})
  void durationsInShortOrIsoForm(String text, String expected) {
    assertThat(InventoryReader.parseDuration(text)).contains(Duration.parse(expected));
  }

  /** One valid entry, with one line replaced or added ({@code field: null} removes the field). */
  private static String entryWith(String override) {
    String field = override.substring(0, override.indexOf(':'));
    List<String> lines = new java.util.ArrayList<>(List.of(
        "name: a",
        "owner: o",
        "consumers: [checkout]",
        "rotationFrequency: 7d",
        "store: {type: in-memory, path: a}",
        "issuer: {type: demo, url: 'http://127.0.0.1:8787', account: a}"));
    lines.removeIf(l -> l.startsWith(field + ":"));
    if (!override.endsWith(": null")) {
      lines.add(override);
    }
    StringBuilder yaml = new StringBuilder("secrets:\n");
    for (int i = 0; i < lines.size(); i++) {
      yaml.append(i == 0 ? "  - " : "    ").append(lines.get(i)).append('\n');
    }
    return yaml.toString();
  }
}
