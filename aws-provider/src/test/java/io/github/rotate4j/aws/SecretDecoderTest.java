package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.SecretValue;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretDecoderTest {

  private static final String DB = "{\"username\":\"app\",\"password\":\"pw-1\",\"engine\":\"postgres\",\"port\":5432}";

  @Test
  void auto_plainText_staysText() throws Exception {
    assertThat(decode(SecretFormat.AUTO, "sk_live_123")).isEqualTo(SecretValue.ofString("sk_live_123"));
  }

  @Test
  void auto_textThatOnlyLooksLikeJson_staysText() throws Exception {
    assertThat(decode(SecretFormat.AUTO, "{not json")).isEqualTo(SecretValue.ofString("{not json"));
  }

  @Test
  void auto_jsonObject_becomesMap() throws Exception {
    assertThat(decode(SecretFormat.AUTO, "{\"apiKey\":\"k\",\"region\":\"eu\"}"))
        .isEqualTo(SecretValue.ofMap(Map.of("apiKey", "k", "region", "eu")));
  }

  @Test
  void auto_databaseShape_becomesUsernamePassword() throws Exception {
    assertThat(decode(SecretFormat.AUTO, DB))
        .isEqualTo(SecretValue.ofUsernamePassword("app", "pw-1", Map.of("engine", "postgres", "port", "5432")));
  }

  @Test
  void auto_binary_becomesBytes() throws Exception {
    byte[] raw = {1, 2, 3};
    assertThat(new SecretDecoder(SecretFormat.AUTO).decode(null, raw)).isEqualTo(SecretValue.ofBytes(raw));
  }

  @Test
  void json_keepsEveryDatabaseField() throws Exception {
    assertThat(decode(SecretFormat.JSON, DB)).isEqualTo(SecretValue.ofMap(
        Map.of("username", "app", "password", "pw-1", "engine", "postgres", "port", "5432")));
  }

  @Test
  void json_refusesNonObject_withoutQuotingIt() {
    assertThatThrownBy(() -> decode(SecretFormat.JSON, "secret-text-value"))
        .isInstanceOf(SecretDecoder.UndecodableSecretException.class)
        .hasMessageContaining("not a JSON object")
        .hasMessageNotContaining("secret-text-value");
  }

  @Test
  void string_keepsJsonAsText() throws Exception {
    assertThat(decode(SecretFormat.STRING, DB)).isEqualTo(SecretValue.ofString(DB));
  }

  @Test
  void binary_takesUtf8OfText() throws Exception {
    assertThat(decode(SecretFormat.BINARY, "é")).isEqualTo(SecretValue.ofBytes("é".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void usernamePassword_needsBothFields() {
    assertThatThrownBy(() -> decode(SecretFormat.USERNAME_PASSWORD, "{\"username\":\"app\"}"))
        .hasMessageContaining("'username' and 'password'");
  }

  @Test
  void textFormats_refuseBinary() {
    for (SecretFormat f : new SecretFormat[] {SecretFormat.STRING, SecretFormat.JSON, SecretFormat.USERNAME_PASSWORD}) {
      assertThatThrownBy(() -> new SecretDecoder(f).decode(null, new byte[] {1}))
          .hasMessageContaining("binary").hasMessageContaining(f.name());
    }
  }

  @Test
  void neitherStringNorBinary_isRefused() {
    assertThatThrownBy(() -> new SecretDecoder(SecretFormat.AUTO).decode(null, null))
        .hasMessageContaining("neither SecretString nor SecretBinary");
  }

  private static SecretValue decode(SecretFormat format, String text) throws Exception {
    return new SecretDecoder(format).decode(text, null);
  }
}
