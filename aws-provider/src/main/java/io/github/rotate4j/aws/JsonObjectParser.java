package io.github.rotate4j.aws;

import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.thirdparty.jackson.core.JsonFactory;
import software.amazon.awssdk.thirdparty.jackson.core.JsonGenerator;
import software.amazon.awssdk.thirdparty.jackson.core.JsonLocation;
import software.amazon.awssdk.thirdparty.jackson.core.JsonParser;
import software.amazon.awssdk.thirdparty.jackson.core.JsonProcessingException;
import software.amazon.awssdk.thirdparty.jackson.core.JsonToken;
import software.amazon.awssdk.thirdparty.jackson.core.StreamReadConstraints;
import software.amazon.awssdk.thirdparty.jackson.core.StreamReadFeature;

/**
 * Parses one JSON object into a flat string map with the Jackson streaming parser the AWS SDK ships
 * (its shaded {@code third-party-jackson-core}). Scalars keep their JSON text (strings unescaped);
 * nested objects and arrays keep their compact JSON text; {@code null} fields are left out.
 * Duplicate fields and nesting deeper than {@value #MAX_DEPTH} levels are refused.
 *
 * <p>Error messages give only a position and the kind of error, never a piece of the input: the
 * input is a secret. Jackson's own messages quote the offending token, so they are never passed on,
 * and its locations are built without the source.
 */
final class JsonObjectParser {

  /** Thrown for input that is not one well-formed JSON object; its message holds no input. */
  static final class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedJsonException(String message) {
      super(message, null, false, false);
    }
  }

  static final int MAX_DEPTH = 64;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build())
      .build();

  private JsonObjectParser() {}

  /** Parses {@code text}, which must hold exactly one JSON object (whitespace around it allowed). */
  static Map<String, String> parseObject(String text) throws MalformedJsonException {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new MalformedJsonException("not a JSON object");
      }
      Map<String, String> result = new LinkedHashMap<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String key = p.currentName();
        JsonToken value = p.nextToken();
        if (result.containsKey(key)) {
          throw error("duplicate field", p.currentTokenLocation());
        }
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          result.put(key, compact(p));
        } else if (value != JsonToken.VALUE_NULL) {
          result.put(key, p.getText());
        } else {
          result.put(key, null); // remembered for duplicate detection, dropped below
        }
      }
      if (p.nextToken() != null) {
        throw error("unexpected content after the object", p.currentTokenLocation());
      }
      result.values().removeIf(v -> v == null);
      return result;
    } catch (JsonProcessingException e) {
      // Jackson's message may quote the offending token, which is secret text: keep only its position
      throw error(e.getOriginalMessage() != null && e.getOriginalMessage().contains("nesting depth")
          ? "nested deeper than " + MAX_DEPTH + " levels" : "malformed JSON", e.getLocation());
    } catch (IOException e) {
      throw new MalformedJsonException("unreadable JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Whether {@code text} looks like a JSON object at first sight (starts with '{' after whitespace). */
  static boolean looksLikeObject(String text) {
    return text.stripLeading().startsWith("{");
  }

  /** The structure the parser stands at the start of, as compact JSON, numbers as written. */
  private static String compact(JsonParser p) throws IOException {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      copy(p, g);
    }
    return out.toString();
  }

  private static void copy(JsonParser p, JsonGenerator g) throws IOException {
    int depth = 0;
    do {
      JsonToken t = p.currentToken();
      switch (t) {
        case START_OBJECT -> {
          depth++;
          g.writeStartObject();
        }
        case START_ARRAY -> {
          depth++;
          g.writeStartArray();
        }
        case END_OBJECT -> {
          depth--;
          g.writeEndObject();
        }
        case END_ARRAY -> {
          depth--;
          g.writeEndArray();
        }
        case FIELD_NAME -> g.writeFieldName(p.currentName());
        case VALUE_STRING -> g.writeString(p.getText());
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> g.writeNumber(p.getText());
        case VALUE_TRUE, VALUE_FALSE -> g.writeBoolean(t == JsonToken.VALUE_TRUE);
        case VALUE_NULL -> g.writeNull();
        default -> throw new IOException("unexpected token " + t);
      }
    } while (depth > 0 && p.nextToken() != null);
  }

  private static MalformedJsonException error(String what, JsonLocation at) {
    String position = at == null || at.getCharOffset() < 0 ? "" : " at position " + at.getCharOffset();
    return new MalformedJsonException(what + position);
  }
}
