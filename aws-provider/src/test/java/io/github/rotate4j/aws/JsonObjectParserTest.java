package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonObjectParserTest {

  @Test
  void parsesScalarsInOrder() throws Exception {
    Map<String, String> m = JsonObjectParser.parseObject(
        " {\"b\": \"two\", \"a\": 1.5e3, \"t\": true, \"f\": false, \"n\": null, \"neg\": -0.25} ");

    assertThat(m).containsExactly(
        Map.entry("b", "two"), Map.entry("a", "1.5e3"), Map.entry("t", "true"), Map.entry("f", "false"),
        Map.entry("neg", "-0.25"));
  }

  @Test
  void unescapesStrings() throws Exception {
    Map<String, String> m = JsonObjectParser.parseObject("{\"k\\u0041\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\"}");

    assertThat(m).containsExactly(Map.entry("kA", "a\"b\\c/d\n\té"));
  }

  @Test
  void keepsNestedValuesAsCompactJson() throws Exception {
    Map<String, String> m = JsonObjectParser.parseObject(
        "{\"o\": { \"x\" : [1, 2, {\"y\": \"a b\"}] }, \"arr\": [ ], \"e\": {}}");

    assertThat(m).containsExactly(
        Map.entry("o", "{\"x\":[1,2,{\"y\":\"a b\"}]}"), Map.entry("arr", "[]"), Map.entry("e", "{}"));
  }

  @Test
  void emptyObject() throws Exception {
    assertThat(JsonObjectParser.parseObject("{}")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "[]", "\"text\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1}x", "{a:1}", "{\"a\":01}",
      "{\"a\":tru}", "{\"a\":\"unterminated}", "{\"a\":\"bad\\q\"}", "{\"a\":1,\"a\":2}", "{\"a\":[1,]}",
      "{\"a\":\"\\u12\"}", "{\"a\":1.}", "{\"a\":-}"
  })
  void rejectsMalformedInput(String text) {
    assertThatThrownBy(() -> JsonObjectParser.parseObject(text))
        .isInstanceOf(JsonObjectParser.MalformedJsonException.class);
  }

  @Test
  void errorMessagesNeverQuoteTheInput() {
    assertThatThrownBy(() -> JsonObjectParser.parseObject("{\"password\": hunter2}"))
        .hasMessageNotContaining("hunter2")
        .hasMessageContaining("position");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"password\": hunter2}", "{\"hunter2\"}", "{\"a\":\"x\",\"hunter2\":1,\"hunter2\":2}", "{hunter2: 1}",
      "{\"a\": \"hunter2", "{\"a\": [hunter2]}", "{\"a\": \"hunter2\\q\"}", "{\"a\":1} hunter2", "hunter2",
      "{\"a\": 0hunter2}", "{\"a\": {\"hunter2\" 1}}"
  })
  void errorMessagesNeverQuoteTheInput_whateverTheError(String text) {
    assertThatThrownBy(() -> JsonObjectParser.parseObject(text))
        .isInstanceOf(JsonObjectParser.MalformedJsonException.class)
        .satisfies(e -> assertThat(e.toString()).doesNotContain("hunter2"))
        .hasNoCause();
  }

  @Test
  void duplicateField_isNamedAsSuch_withoutItsName() {
    assertThatThrownBy(() -> JsonObjectParser.parseObject("{\"k1\":1,\"k1\":2}"))
        .hasMessageContaining("duplicate field").hasMessageNotContaining("k1");
  }

  @Test
  void nestingUpToTheLimit_isAccepted() throws Exception {
    int levels = JsonObjectParser.MAX_DEPTH - 1; // the object itself is one level
    String deep = "{\"a\":" + "[".repeat(levels) + "]".repeat(levels) + "}";

    assertThat(JsonObjectParser.parseObject(deep)).containsEntry("a", "[".repeat(levels) + "]".repeat(levels));
  }

  @Test
  void rejectsExcessiveNesting() {
    String deep = "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}";

    assertThatThrownBy(() -> JsonObjectParser.parseObject(deep)).hasMessageContaining("nested deeper");
  }

  @Test
  void looksLikeObject() {
    assertThat(JsonObjectParser.looksLikeObject("  \n{\"a\":1}")).isTrue();
    assertThat(JsonObjectParser.looksLikeObject("key-{1}")).isFalse();
    assertThat(JsonObjectParser.looksLikeObject("   ")).isFalse();
  }
}
