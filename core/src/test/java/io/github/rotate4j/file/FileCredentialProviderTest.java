package io.github.rotate4j.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCredentialProviderTest {

  private static final Instant T0 = Instant.parse("2026-11-22T00:00:00Z");

  @TempDir Path tmp;

  @Test
  void file_isReadAsTextWithTrailingNewlineStripped() throws IOException {
    Path file = write("api-key", "sk_live_123\n");

    Credential c = fetch(FileCredentialProvider.ofFile(file).build());

    assertThat(c.secretString()).isEqualTo("sk_live_123");
    assertThat(c.value()).isInstanceOf(SecretValue.Text.class);
  }

  @Test
  void file_stripsOnlyOneLineBreak_includingCrLf() throws IOException {
    assertThat(fetch(FileCredentialProvider.ofFile(write("a", "key\r\n")).build()).secretString()).isEqualTo("key");
    assertThat(fetch(FileCredentialProvider.ofFile(write("b", "key\n\n")).build()).secretString()).isEqualTo("key\n");
    assertThat(fetch(FileCredentialProvider.ofFile(write("c", "key")).build()).secretString()).isEqualTo("key");
  }

  @Test
  void file_keepsTrailingNewlineWhenAsked() throws IOException {
    Path file = write("pem", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");

    Credential c = fetch(FileCredentialProvider.ofFile(file).keepTrailingNewline().build());

    assertThat(c.secretString()).isEqualTo("-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
  }

  @Test
  void binary_isReadByteForByte() throws IOException {
    byte[] bytes = {0, (byte) 0xff, (byte) 0xfe, 10};
    Path file = Files.write(tmp.resolve("keystore.p12"), bytes);

    Credential c = fetch(FileCredentialProvider.ofFile(file).binary().build());

    assertThat(((SecretValue.Binary) c.value()).value()).containsExactly(bytes);
    assertThat(c.version()).hasSize(16).isNotEqualTo(sha256Prefix(bytes));
  }

  @Test
  void properties_areParsedIntoASortedMap() throws IOException {
    Path file = write("db.properties", "# rendered by the agent\nurl=jdbc:postgresql://db/app\nuser = app\npassword=s3cr=t\n");

    Credential c = fetch(FileCredentialProvider.ofFile(file).properties().build());

    assertThat(c.secretMap()).containsExactly(
        Map.entry("password", "s3cr=t"), Map.entry("url", "jdbc:postgresql://db/app"), Map.entry("user", "app"));
  }

  @Test
  void properties_mapTwoKeysToUsernameAndPassword() throws IOException {
    Path file = write("db.env", "DB_USER=app\nDB_PASSWORD=hunter2\n");

    Credential c = fetch(FileCredentialProvider.ofFile(file).usernamePassword("DB_USER", "DB_PASSWORD").build());

    assertThat(c.value()).isEqualTo(SecretValue.ofUsernamePassword("app", "hunter2"));
  }

  @Test
  void directory_givesAMapOfVisibleRegularFiles() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("secret"));
    Files.writeString(dir.resolve("username"), "app\n");
    Files.writeString(dir.resolve("password"), "hunter2\n");
    Files.writeString(dir.resolve(".hidden"), "not a key");
    Files.createDirectory(dir.resolve("nested"));
    Files.writeString(dir.resolve("nested").resolve("inner"), "not a key either");
    Path outside = write("outside-token", "tok\n");
    Files.createSymbolicLink(dir.resolve("token"), outside);

    Credential c = fetch(FileCredentialProvider.ofDirectory(dir).build());

    assertThat(c.secretMap()).containsExactly(
        Map.entry("password", "hunter2"), Map.entry("token", "tok"), Map.entry("username", "app"));
  }

  @Test
  void directory_keepsTrailingNewlinesWhenAsked() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("secret"));
    Files.writeString(dir.resolve("a"), "1\n");

    Credential c = fetch(FileCredentialProvider.ofDirectory(dir).keepTrailingNewline().build());

    assertThat(c.secretMap()).containsExactly(Map.entry("a", "1\n"));
  }

  @Test
  void directory_usernamePasswordReadsOnlyThoseTwoFiles() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("db"));
    Files.writeString(dir.resolve("username"), "app\n");
    Files.writeString(dir.resolve("password"), "hunter2\n");
    Files.write(dir.resolve("keystore.p12"), new byte[] {(byte) 0xff, (byte) 0xfe});
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(dir).usernamePassword("username", "password").build();

    Credential c = fetch(provider);
    Files.write(dir.resolve("keystore.p12"), new byte[] {(byte) 0xfd});
    Credential again = fetch(provider);

    assertThat(c.usernamePassword().username()).isEqualTo("app");
    assertThat(c.usernamePassword().password()).isEqualTo("hunter2");
    assertThat(again.version()).as("an unrelated file does not change the version").isEqualTo(c.version());
  }

  @Test
  void directory_keysSelectsFiles() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.writeString(dir.resolve("api-key"), "k");
    Files.writeString(dir.resolve("ca.crt"), "cert");

    Credential c = fetch(FileCredentialProvider.ofDirectory(dir).keys("api-key").build());

    assertThat(c.secretMap()).containsExactly(Map.entry("api-key", "k"));
  }

  @Test
  void version_isStableForTheSameContent_andNotAPlainHashOfIt() throws IOException {
    Path file = write("api-key", "one\n");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();

    Credential first = fetch(provider);
    Credential second = fetch(provider);
    Files.writeString(file, "two\n");
    Credential third = fetch(provider);
    Files.writeString(file, "one\n");
    Credential fourth = fetch(provider);

    assertThat(first.version()).hasSize(16).matches("[0-9a-f]{16}")
        .as("an unsalted hash would let anyone guess a low-entropy secret from its logged version")
        .isNotEqualTo(sha256Prefix("one\n".getBytes(UTF_8)));
    assertThat(second.version()).isEqualTo(first.version());
    assertThat(third.version()).isNotEqualTo(first.version());
    assertThat(fourth.version()).as("same content, same version").isEqualTo(first.version());
  }

  @Test
  void directoryVersion_coversNamesAndContents() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.writeString(dir.resolve("a"), "1");
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(dir).build();
    String v1 = fetch(provider).version();

    Files.move(dir.resolve("a"), dir.resolve("b"));
    String renamed = fetch(provider).version();
    Files.writeString(dir.resolve("b"), "2");
    String changed = fetch(provider).version();
    Files.writeString(dir.resolve("b"), "1");
    Files.move(dir.resolve("b"), dir.resolve("a"));
    String restored = fetch(provider).version();

    assertThat(List.of(v1, renamed, changed)).doesNotHaveDuplicates();
    assertThat(restored).isEqualTo(v1);
  }

  @Test
  void directoryVersion_doesNotConfuseNameAndContentBoundaries() throws IOException {
    Path one = Files.createDirectory(tmp.resolve("one"));
    Files.writeString(one.resolve("ab"), "c");
    Path two = Files.createDirectory(tmp.resolve("two"));
    Files.writeString(two.resolve("a"), "bc");

    assertThat(fetch(FileCredentialProvider.ofDirectory(one).build()).version())
        .isNotEqualTo(fetch(FileCredentialProvider.ofDirectory(two).build()).version());
  }

  @Test
  void issuedAt_isTheLastModifiedTime_newestFileForADirectory() throws IOException {
    Path file = write("api-key", "k");
    Files.setLastModifiedTime(file, FileTime.from(T0));
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.setLastModifiedTime(Files.writeString(dir.resolve("a"), "1"), FileTime.from(T0));
    Files.setLastModifiedTime(Files.writeString(dir.resolve("b"), "2"), FileTime.from(T0.plusSeconds(90)));

    assertThat(fetch(FileCredentialProvider.ofFile(file).build()).issuedAt()).isEqualTo(T0);
    assertThat(fetch(FileCredentialProvider.ofDirectory(dir).build()).issuedAt()).isEqualTo(T0.plusSeconds(90));
  }

  @Test
  void unchangedContent_returnsTheKnownCredential_withItsIssueTime() throws IOException {
    Path file = write("api-key", "k");
    Files.setLastModifiedTime(file, FileTime.from(T0));
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();
    Credential known = fetch(provider);

    Files.writeString(file, "k"); // rewritten with the same content: new mtime, same hash
    Files.setLastModifiedTime(file, FileTime.from(T0.plusSeconds(300)));
    FetchResult result = provider.fetch(scheduled(KeyRing.of(known)));

    assertThat(result.current()).isSameAs(known);
    assertThat(result.current().issuedAt()).isEqualTo(T0);
  }

  @Test
  void contentRestoredToAPreviousVersion_returnsThatKnownCredential() throws IOException {
    Path file = write("api-key", "old");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();
    Credential old = fetch(provider);
    Files.writeString(file, "new");
    Credential current = fetch(provider);
    KeyRing ring = KeyRing.of(List.of(
        new KeyRing.Entry(current, KeySlot.CURRENT, null),
        new KeyRing.Entry(old, KeySlot.PREVIOUS, T0.plusSeconds(3600))));

    Files.writeString(file, "old");

    assertThat(provider.fetch(scheduled(ring)).current()).isSameAs(old);
  }

  @Test
  void changedContent_isANewCredential() throws IOException {
    Path file = write("api-key", "one");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();
    Credential known = fetch(provider);

    Files.writeString(file, "two");
    Credential next = provider.fetch(scheduled(KeyRing.of(known))).current();

    assertThat(next).isNotSameAs(known);
    assertThat(next.secretString()).isEqualTo("two");
    assertThat(next.expiresAt()).isEmpty();
    assertThat(next.renewable()).isFalse();
  }

  @Test
  void describesItselfWithoutTheSecret() throws IOException {
    Path file = write("api-key", "sk_live_very_secret");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();
    Credential c = fetch(provider);

    assertThat(provider.backend()).isEqualTo("file");
    assertThat(provider.backendId()).isEqualTo("file");
    assertThat(provider.path()).isEqualTo(file.toString());
    assertThat(provider.toString()).contains(file.toString()).doesNotContain("sk_live_very_secret");
    assertThat(c.toString()).doesNotContain("sk_live_very_secret");
    assertThat(FileCredentialProvider.ofDirectory(tmp).usernamePassword("u", "p").maxSize(10).build().toString())
        .isEqualTo("FileCredentialProvider[directory " + tmp + ", username=u, password=p, strip trailing newline, maxSize=10]");
    assertThat(c.metadata()).containsEntry("source", file.toRealPath().toString());
  }

  @Test
  void builder_validatesSettings() throws IOException {
    Path p = tmp.resolve("x");
    assertThat(fetch(FileCredentialProvider.ofFile(write("big-limit", "k")).maxSize(Long.MAX_VALUE).build()).secretString())
        .isEqualTo("k");
    assertThatThrownBy(() -> FileCredentialProvider.ofFile(p).maxSize(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxSize must be greater than 0, but was -3");
    assertThatThrownBy(() -> FileCredentialProvider.ofFile(p).binary().properties())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("format was already set to binary file");
    assertThatThrownBy(() -> FileCredentialProvider.ofFile(p).binary().usernamePassword("u", "p"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs a properties file");
    assertThatThrownBy(() -> FileCredentialProvider.ofFile(p).binary().keepTrailingNewline().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("keepTrailingNewline applies to text files");
    assertThatThrownBy(() -> FileCredentialProvider.ofDirectory(p).keys("a").usernamePassword("u", "p"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> FileCredentialProvider.ofDirectory(p).keys("..data"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'..data'");
    assertThatThrownBy(() -> FileCredentialProvider.ofDirectory(p).keys())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FileCredentialProvider.ofDirectory(p).usernamePassword(" ", "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("username key must not be blank");
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(tmp.resolve(name), content, UTF_8);
  }

  static Credential fetch(FileCredentialProvider provider) {
    return provider.fetch(FetchContext.startup("test-credential")).current();
  }

  static FetchContext scheduled(KeyRing ring) {
    return new FetchContext("test-credential", FetchReason.SCHEDULED, Optional.of(ring));
  }

  static String sha256Prefix(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
