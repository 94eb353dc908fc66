package io.github.rotate4j.aws;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parses one JSON object into a flat string map. Scalars keep their JSON text (strings unescaped);
 * nested objects and arrays keep their compact JSON text; {@code null} fields are left out.
 *
 * <p>Error messages give only a position, never a piece of the input: the input is a secret.
 */
final class JsonObjectParser {

  /** Thrown for input that is not one well-formed JSON object; its message holds no input. */
  static final class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedJsonException(String message) {
      super(message, null, false, false);
    }
  }

  private static final int MAX_DEPTH = 64;

  private final String in;
  private int pos;

  private JsonObjectParser(String in) {
    this.in = in;
  }

  /** Parses {@code text}, which must hold exactly one JSON object (whitespace around it allowed). */
  static Map<String, String> parseObject(String text) throws MalformedJsonException {
    JsonObjectParser p = new JsonObjectParser(text);
    p.skipWhitespace();
    if (!p.peekIs('{')) {
      throw new MalformedJsonException("not a JSON object");
    }
    Map<String, String> result = p.topLevelObject();
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected content after the object");
    }
    return result;
  }

  /** Whether {@code text} looks like a JSON object at first sight (starts with '{' after whitespace). */
  static boolean looksLikeObject(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isWhitespace(c)) {
        return c == '{';
      }
    }
    return false;
  }

  private Map<String, String> topLevelObject() throws MalformedJsonException {
    Map<String, String> result = new LinkedHashMap<>();
    expect('{');
    skipWhitespace();
    if (peekIs('}')) {
      pos++;
      return result;
    }
    while (true) {
      skipWhitespace();
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      String value = topLevelValue();
      if (result.containsKey(key)) {
        throw error("duplicate field");
      }
      if (value != null) {
        result.put(key, value);
      }
      skipWhitespace();
      if (peekIs(',')) {
        pos++;
        continue;
      }
      expect('}');
      return result;
    }
  }

  /** A field value of the top-level object: its text, or null for JSON null. */
  private @Nullable String topLevelValue() throws MalformedJsonException {
    if (peekIs('"')) {
      return string();
    }
    int start = pos;
    skipValue(1);
    String raw = in.substring(start, pos);
    return raw.equals("null") ? null : compact(raw);
  }

  private void skipValue(int depth) throws MalformedJsonException {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH);
    }
    if (pos >= in.length()) {
      throw error("value expected");
    }
    char c = in.charAt(pos);
    switch (c) {
      case '"' -> string();
      case '{' -> {
        pos++;
        skipWhitespace();
        if (peekIs('}')) {
          pos++;
          return;
        }
        while (true) {
          skipWhitespace();
          string();
          skipWhitespace();
          expect(':');
          skipWhitespace();
          skipValue(depth + 1);
          skipWhitespace();
          if (peekIs(',')) {
            pos++;
            continue;
          }
          expect('}');
          return;
        }
      }
      case '[' -> {
        pos++;
        skipWhitespace();
        if (peekIs(']')) {
          pos++;
          return;
        }
        while (true) {
          skipWhitespace();
          skipValue(depth + 1);
          skipWhitespace();
          if (peekIs(',')) {
            pos++;
            continue;
          }
          expect(']');
          return;
        }
      }
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      default -> number();
    }
  }

  private void literal(String word) throws MalformedJsonException {
    if (!in.startsWith(word, pos)) {
      throw error("invalid literal");
    }
    pos += word.length();
  }

  private void number() throws MalformedJsonException {
    int start = pos;
    if (peekIs('-')) {
      pos++;
    }
    int intStart = pos;
    digits();
    if (pos == intStart || (in.charAt(intStart) == '0' && pos - intStart > 1)) {
      throw error("invalid number");
    }
    if (peekIs('.')) {
      pos++;
      int fracStart = pos;
      digits();
      if (pos == fracStart) {
        throw error("invalid number");
      }
    }
    if (peekIs('e') || peekIs('E')) {
      pos++;
      if (peekIs('+') || peekIs('-')) {
        pos++;
      }
      int expStart = pos;
      digits();
      if (pos == expStart) {
        throw error("invalid number");
      }
    }
    if (pos == start) {
      throw error("value expected");
    }
  }

  private void digits() {
    while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
      pos++;
    }
  }

  private String string() throws MalformedJsonException {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= in.length()) {
        throw error("unterminated string");
      }
      char c = in.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        throw error("control character in string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= in.length()) {
        throw error("unterminated escape");
      }
      char e = in.charAt(pos++);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case '/' -> sb.append('/');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (pos + 4 > in.length()) {
            throw error("short unicode escape");
          }
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int d = Character.digit(in.charAt(pos++), 16);
            if (d < 0) {
              throw error("invalid unicode escape");
            }
            code = code * 16 + d;
          }
          sb.append((char) code);
        }
        default -> throw error("invalid escape");
      }
    }
  }

  /** Removes insignificant whitespace from a well-formed JSON value, leaving strings intact. */
  private static String compact(String raw) {
    StringBuilder sb = new StringBuilder(raw.length());
    boolean inString = false;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (inString) {
        sb.append(c);
        if (c == '\\') {
          sb.append(raw.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
        sb.append(c);
      } else if (!isWhitespace(c)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private void expect(char c) throws MalformedJsonException {
    if (!peekIs(c)) {
      throw error("'" + c + "' expected");
    }
    pos++;
  }

  private boolean peekIs(char c) {
    return pos < in.length() && in.charAt(pos) == c;
  }

  private void skipWhitespace() {
    while (pos < in.length() && isWhitespace(in.charAt(pos))) {
      pos++;
    }
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private MalformedJsonException error(String what) {
    return new MalformedJsonException(what + " at position " + pos);
  }
}
