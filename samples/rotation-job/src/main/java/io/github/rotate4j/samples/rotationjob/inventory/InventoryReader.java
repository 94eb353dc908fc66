package io.github.rotate4j.samples.rotationjob.inventory;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an inventory file:
 *
 * <pre>{@code
 * overdueAfter: 1d                 # optional, default 1 day
 * secrets:
 *   - name: payments-api-key
 *     description: Key for the payments provider
 *     owner: team-payments
 *     consumers: [checkout, refunds]
 *     rotationFrequency: 30d       # 30d, 12h, 15m, 45s or ISO-8601 (P30D)
 *     gracePeriod: 1h              # optional, default 1 hour (at most half the frequency)
 *     unusedFor: 30m               # optional: old key unseen this long before revocation; default half the grace
 *     distributionDelay: 0s        # optional: wait between staging and promotion; default none
 *     store:
 *       type: vault-kv             # vault-kv | aws | in-memory | file
 *       address: http://127.0.0.1:8200
 *       mount: secret
 *       path: payments/api-key
 *     issuer:
 *       type: demo
 *       url: http://127.0.0.1:8787
 *       account: payments
 * }</pre>
 *
 * <p>Every error names the file, the entry ({@code secrets[2] 'payments-api-key'}) and the field.
 * Unknown fields are errors too, so that a typo does not silently change behaviour. Credentials
 * never go into the file: it names the environment variables that hold them.
 */
public final class InventoryReader {

  /** Default grace period of an entry, or half its rotation frequency when that is shorter. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofHours(1);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,9})\\s*([dhms])");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private InventoryReader() {}

  /**
   * Reads and validates the file.
   *
   * @throws InventoryException naming the file, entry and field when it is missing or invalid
   */
  public static Inventory read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InventoryException(file, "no such file", e);
    } catch (IOException e) {
      throw new InventoryException(file, "cannot read: " + e.getMessage(), e);
    }
    return parse(file, text);
  }

  /** Parses inventory text; {@code file} names it in errors and anchors relative paths. */
  public static Inventory parse(Path file, String text) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InventoryException(file, "not valid YAML: " + e.getOriginalMessage()
          + Optional.ofNullable(e.getLocation()).map(l -> " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")").orElse(""), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new InventoryException(file, "is empty; it needs a 'secrets' list");
    }
    Node top = new Node(file, "", root);
    top.requireObject();
    top.allowOnly("overdueAfter", "secrets");
    Duration overdueAfter = top.optionalDuration("overdueAfter").orElse(Inventory.DEFAULT_OVERDUE_AFTER);
    JsonNode secrets = root.get("secrets");
    if (secrets == null || !secrets.isArray()) {
      throw new InventoryException(file, "field 'secrets' must be a list of secrets");
    }
    List<InventoryEntry> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < secrets.size(); i++) {
      JsonNode raw = secrets.get(i);
      String label = "secrets[" + i + "]";
      if (raw.isObject() && raw.path("name").isTextual()) {
        label += " '" + raw.path("name").asText() + "'";
      }
      InventoryEntry entry = entry(new Node(file, label, raw));
      if (!names.add(entry.name())) {
        throw new InventoryException(file, label + ": field 'name': '" + entry.name() + "' is used by an earlier entry; names must be unique");
      }
      entries.add(entry);
    }
    return new Inventory(file, overdueAfter, entries);
  }

  private static InventoryEntry entry(Node n) {
    n.requireObject();
    n.allowOnly("name", "description", "owner", "consumers", "rotationFrequency", "gracePeriod", "unusedFor",
        "distributionDelay", "store", "issuer");
    String name = n.requiredText("name");
    if (!NAME.matcher(name).matches()) {
      throw n.error("name", "'" + name + "' is not a valid name (letters, digits, '.', '_', '-'; at most 100)");
    }
    Duration frequency = n.requiredDuration("rotationFrequency");
    Duration half = frequency.dividedBy(2);
    Duration grace = n.optionalDuration("gracePeriod")
        .orElse(DEFAULT_GRACE_PERIOD.compareTo(half) < 0 ? DEFAULT_GRACE_PERIOD : half);
    if (grace.compareTo(frequency) >= 0) {
      throw n.error("gracePeriod", grace + " must be shorter than rotationFrequency " + frequency);
    }
    Duration unusedFor = n.optionalDuration("unusedFor", true).orElse(grace.dividedBy(2));
    if (unusedFor.compareTo(grace) > 0) {
      throw n.error("unusedFor", unusedFor + " must not be longer than gracePeriod " + grace
          + " (consumers may use the old key until they see the new one)");
    }
    Duration distributionDelay = n.optionalDuration("distributionDelay", true).orElse(Duration.ZERO);
    return new InventoryEntry(name, n.optionalText("description").orElse(""), n.requiredText("owner"),
        n.textList("consumers"), frequency, grace, unusedFor, distributionDelay, store(n.child("store")),
        issuer(n.child("issuer")));
  }

  private static StoreSpec store(Node n) {
    n.requireObject();
    String type = n.requiredText("type");
    switch (type) {
      case "vault-kv" -> {
        n.allowOnly("type", "address", "mount", "path", "field", "tokenEnv");
        return new StoreSpec.VaultKv(n.optionalUri("address"), n.optionalText("mount").orElse("secret"),
            n.requiredText("path"), n.optionalText("field").orElse("api_key"),
            n.optionalEnvName("tokenEnv").orElse("VAULT_TOKEN"));
      }
      case "aws" -> {
        n.allowOnly("type", "secretId", "path", "region", "endpoint");
        Optional<String> id = n.optionalText("secretId").or(() -> n.optionalText("path"));
        if (id.isEmpty()) {
          throw n.error("secretId", "is required for an aws store (the secret's name or ARN)");
        }
        return new StoreSpec.Aws(id.get(), n.optionalText("region"), n.optionalUri("endpoint"));
      }
      case "in-memory" -> {
        n.allowOnly("type", "path");
        return new StoreSpec.InMemory(n.requiredText("path"));
      }
      case "file" -> {
        n.allowOnly("type", "path");
        Path base = Optional.ofNullable(n.file.toAbsolutePath().getParent()).orElse(Path.of("."));
        return new StoreSpec.File(base.resolve(n.requiredText("path")).normalize());
      }
      default -> throw n.error("type", "unknown store type '" + type + "'; use vault-kv, aws, in-memory or file");
    }
  }

  private static IssuerSpec issuer(Node n) {
    n.requireObject();
    String type = n.requiredText("type");
    if (!type.equals("demo")) {
      throw n.error("type", "unknown issuer type '" + type + "'; this sample knows 'demo'");
    }
    n.allowOnly("type", "url", "account", "adminTokenEnv");
    URI url = n.optionalUri("url").orElseThrow(() -> n.error("url", "is required (the demo key service's base URI)"));
    return new IssuerSpec.Demo(url, n.requiredText("account"), n.optionalEnvName("adminTokenEnv"));
  }

  /** Accepts {@code 30d}, {@code 12h}, {@code 15m}, {@code 45s} and ISO-8601 ({@code P30D}, {@code PT1H}). */
  static Optional<Duration> parseDuration(String text) {
    String t = text.trim();
    Matcher m = SHORT_DURATION.matcher(t.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return Optional.of(switch (m.group(2)) {
        case "d" -> Duration.ofDays(n);
        case "h" -> Duration.ofHours(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      });
    }
    try {
      return Optional.of(Duration.parse(t));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** A node of the tree with the label of where it sits, for messages. */
  private static final class Node {
    final Path file;
    final String label;
    final JsonNode json;

    Node(Path file, String label, JsonNode json) {
      this.file = file;
      this.label = label;
      this.json = json;
    }

    InventoryException error(String field, String message) {
      String where = label.isEmpty() ? "" : label + ": ";
      return new InventoryException(file, where + "field '" + field + "' " + message);
    }

    void requireObject() {
      if (json == null || !json.isObject()) {
        throw new InventoryException(file, (label.isEmpty() ? "the top level" : label) + " must be a mapping of fields");
      }
    }

    void allowOnly(String... fields) {
      Set<String> allowed = Set.of(fields);
      for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!allowed.contains(f)) {
          throw error(f, "is not known here; expected one of " + String.join(", ", fields));
        }
      }
    }

    Node child(String field) {
      JsonNode c = json.get(field);
      if (c == null || c.isNull()) {
        throw error(field, "is required");
      }
      if (!c.isObject()) {
        throw error(field, "must be a mapping of fields");
      }
      return new Node(file, label + (label.isEmpty() ? "" : " ") + field, c);
    }

    Optional<String> optionalText(String field) {
      JsonNode v = json.get(field);
      if (v == null || v.isNull()) {
        return Optional.empty();
      }
      if (!v.isValueNode() || v.isBoolean()) {
        throw error(field, "must be text");
      }
      String s = v.asText().trim();
      if (s.isEmpty()) {
        throw error(field, "must not be empty");
      }
      return Optional.of(s);
    }

    String requiredText(String field) {
      return optionalText(field).orElseThrow(() -> error(field, "is required"));
    }

    Optional<Duration> optionalDuration(String field) {
      return optionalDuration(field, false);
    }

    Optional<Duration> optionalDuration(String field, boolean zeroAllowed) {
      return optionalText(field).map(s -> {
        Duration d = parseDuration(s).orElseThrow(() -> error(field,
            "'" + s + "' is not a duration; use 30d, 12h, 15m, 45s or ISO-8601 like P30D"));
        if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
          throw error(field, (zeroAllowed ? "must not be negative" : "must be positive") + ", but was " + s);
        }
        return d;
      });
    }

    Duration requiredDuration(String field) {
      return optionalDuration(field).orElseThrow(() -> error(field, "is required (for example 30d)"));
    }

    Optional<URI> optionalUri(String field) {
      return optionalText(field).map(s -> {
        try {
          URI uri = new URI(s);
          if (uri.getScheme() == null || uri.getHost() == null
              || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw error(field, "'" + s + "' is not an http(s) URL with a host");
          }
          return uri;
        } catch (URISyntaxException e) {
          throw error(field, "'" + s + "' is not a URL: " + e.getReason());
        }
      });
    }

    Optional<String> optionalEnvName(String field) {
      return optionalText(field).map(s -> {
        if (!ENV_NAME.matcher(s).matches()) {
          throw error(field, "'" + s + "' is not an environment variable name (the file names the variable, never the secret)");
        }
        return s;
      });
    }

    List<String> textList(String field) {
      JsonNode v = json.get(field);
      if (v == null || v.isNull()) {
        return List.of();
      }
      if (!v.isArray()) {
        throw error(field, "must be a list, for example [checkout, refunds]");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode item : v) {
        if (!item.isTextual() || item.asText().isBlank()) {
          throw error(field, "must hold names only, but holds " + item);
        }
        out.add(item.asText().trim());
      }
      return out;
    }
  }
}
