package io.github.rotate4j.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyGeneratorTest {

  @ParameterizedTest
  @ValueSource(ints = {22, 40, 64})
  void alphanumeric_hasTheLengthAndAlphabet(int length) {
    String key = KeyGenerator.alphanumeric(length).generate();
    assertThat(key).hasSize(length).matches("[A-Za-z0-9]+");
  }

  @Test
  void customAlphabet_usesEveryCharacterAndNothingElse() {
    KeyGenerator g = KeyGenerator.ofAlphabet("abcdef0123456789", 40);
    Set<Character> seen = new HashSet<>();
    IntStream.range(0, 200).forEach(i -> g.generate().chars().forEach(c -> seen.add((char) c)));
    assertThat(seen).hasSize(16).allMatch(c -> "abcdef0123456789".indexOf(c) >= 0);
  }

  @Test
  void hexAndBase64_encodeTheRequestedBytes() {
    assertThat(KeyGenerator.hex(32).generate()).hasSize(64).matches("[0-9a-f]+");
    assertThat(KeyGenerator.base64Url(32).generate()).hasSize(43).matches("[A-Za-z0-9_-]+");
  }

  @Test
  void keysDiffer() {
    KeyGenerator g = KeyGenerator.alphanumeric(32);
    assertThat(IntStream.range(0, 1000).mapToObj(i -> g.generate()).distinct().count()).isEqualTo(1000);
  }

  @Test
  void weakSettings_areRefusedWithTheValue() {
    assertThatThrownBy(() -> KeyGenerator.alphanumeric(10))
        .hasMessageContaining("10 characters").hasMessageContaining("at least 128");
    assertThatThrownBy(() -> KeyGenerator.hex(8)).hasMessageContaining("but was 8");
    assertThatThrownBy(() -> KeyGenerator.ofAlphabet("aab", 200)).hasMessageContaining("no repeats");
  }

  @Test
  void toString_showsTheFormatOnly() {
    assertThat(KeyGenerator.alphanumeric(40)).hasToString("KeyGenerator[40 characters from an alphabet of 62]");
  }
}
