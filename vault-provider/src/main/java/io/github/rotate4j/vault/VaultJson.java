package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Reads the fields of a Vault response; a missing or mistyped field is a malformed response. */
final class VaultJson {

  private final @Nullable String credentialName;
  private final String path;

  VaultJson(@Nullable String credentialName, String path) {
    this.credentialName = credentialName;
    this.path = path;
  }

  JsonObject object(JsonObject parent, String field) {
    JsonValue v = parent.get(field);
    if (v == null || !v.isObject()) {
      throw VaultTransport.malformed(credentialName, path, "no object '" + field + "'");
    }
    return v.asObject();
  }

  Optional<JsonObject> optionalObject(JsonObject parent, String field) {
    JsonValue v = parent.get(field);
    return v == null || !v.isObject() ? Optional.empty() : Optional.of(v.asObject());
  }

  long number(JsonObject parent, String field) {
    JsonValue v = parent.get(field);
    if (v == null || !v.isNumber()) {
      throw VaultTransport.malformed(credentialName, path, "no number '" + field + "'");
    }
    return v.asLong();
  }

  String string(JsonObject parent, String field) {
    JsonValue v = parent.get(field);
    if (v == null || !v.isString()) {
      throw VaultTransport.malformed(credentialName, path, "no string '" + field + "'");
    }
    return v.asString();
  }

  Optional<String> optionalString(JsonObject parent, String field) {
    JsonValue v = parent.get(field);
    return v == null || !v.isString() || v.asString().isEmpty() ? Optional.empty() : Optional.of(v.asString());
  }

  boolean bool(JsonObject parent, String field, boolean fallback) {
    JsonValue v = parent.get(field);
    return v != null && v.isBoolean() ? v.asBoolean() : fallback;
  }

  Optional<Instant> instant(JsonObject parent, String field) {
    return optionalString(parent, field).flatMap(VaultJson::parseInstant);
  }

  /**
   * A flat string map in the order Vault returned it; nested values (objects, arrays, numbers)
   * become their JSON text and JSON nulls are left out.
   */
  static Map<String, String> flatten(JsonObject object) {
    Map<String, String> map = new LinkedHashMap<>();
    for (JsonObject.Member m : object) {
      JsonValue v = m.getValue();
      if (v == null || v.isNull()) {
        continue;
      }
      map.put(m.getName(), v.isString() ? v.asString() : v.toString());
    }
    return map;
  }

  static Optional<Instant> parseInstant(String text) {
    try {
      return Optional.of(Instant.parse(text.trim()));
    } catch (DateTimeParseException e) {
      try {
        return Optional.of(OffsetDateTime.parse(text.trim()).toInstant());
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }
}
