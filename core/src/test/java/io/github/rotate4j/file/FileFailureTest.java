package io.github.rotate4j.file;

import static io.github.rotate4j.file.FileCredentialProviderTest.fetch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How file-system failures are classified, and that their messages name paths, never content. */
class FileFailureTest {

  private static final String SECRET = "sk_live_DO_NOT_LEAK_4242";

  @TempDir Path tmp;

  @Test
  void missingFileAtStartup_isTransient_andIsReadOnceItsWriterCreatesIt() throws IOException {
    Path file = tmp.resolve("vault/secrets/api-key");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();

    BackendException e = failure(provider);

    assertThat(e).isInstanceOf(TransientBackendException.class);
    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage())
        .isEqualTo("credential 'test-credential' [file " + file + "]: " + file + " does not exist (yet); waiting for its writer");
    assertThat(e.credentialName()).contains("test-credential");
    assertThat(e.backend()).contains("file");
    assertThat(e.path()).contains(file.toString());

    Files.createDirectories(file.getParent());
    Files.writeString(file, "k1");
    assertThat(fetch(provider).secretString()).isEqualTo("k1");
  }

  @Test
  void fileThatVanishes_isTransient() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), "k1");
    FileCredentialProvider provider = FileCredentialProvider.ofFile(file).build();
    fetch(provider);

    Files.delete(file);

    assertThat(failure(provider)).isInstanceOf(TransientBackendException.class);
  }

  @Test
  void missingDirectory_isTransient() {
    Path dir = tmp.resolve("etc/secrets/db");

    BackendException e = failure(FileCredentialProvider.ofDirectory(dir).build());

    assertThat(e).isInstanceOf(TransientBackendException.class).hasMessageContaining(dir + " does not exist (yet)");
  }

  @Test
  void dataLinkToAMissingGeneration_isTransient() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.createSymbolicLink(dir.resolve("..data"), Path.of("..2026_11_22_gone"));

    assertThat(failure(FileCredentialProvider.ofDirectory(dir).build())).isInstanceOf(TransientBackendException.class);
  }

  @Test
  void directoryConfiguredAsAFile_isPermanent() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), SECRET);

    BackendException e = failure(FileCredentialProvider.ofDirectory(file).build());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageEndingWith(file + " is a file, not a directory; read it with ofFile(...)");
  }

  @Test
  void fileConfiguredAsADirectory_isPermanent() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("secrets"));

    BackendException e = failure(FileCredentialProvider.ofFile(dir).build());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageEndingWith(dir + " is a directory, not a file; read it with ofDirectory(...)");
  }

  @Test
  void pathUnderARegularFile_isPermanent() throws IOException {
    Path regular = Files.writeString(tmp.resolve("not-a-dir"), SECRET);

    BackendException forFile = failure(FileCredentialProvider.ofFile(regular.resolve("api-key")).build());
    BackendException forDir = failure(FileCredentialProvider.ofDirectory(regular.resolve("db")).build());

    assertThat(forFile).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining(regular + " is a file, not a directory");
    assertThat(forDir).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining(regular + " is a file, not a directory");
  }

  /**
   * Tests may run as root, whom mode bits do not stop; so the read fails here exactly as the JDK
   * reports EACCES, with an {@link AccessDeniedException} for the file.
   */
  @Test
  void permissionDenied_isPermanent_forAFileAndForAFileInADirectory() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), SECRET);
    Path dir = Files.createDirectory(tmp.resolve("db"));
    Files.writeString(dir.resolve("password"), SECRET);
    ContentReader denied = (f, max) -> {
      throw new AccessDeniedException(f.toString());
    };

    BackendException forFile = failure(FileCredentialProvider.ofFile(file).contentReader(denied).build());
    BackendException forDir = failure(FileCredentialProvider.ofDirectory(dir).contentReader(denied).build());

    assertThat(forFile).isInstanceOf(PermanentBackendException.class)
        .hasMessageEndingWith("permission denied reading " + file.toRealPath() + "; grant this process read access");
    assertThat(forDir).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining("permission denied reading " + dir.resolve("password"));
  }

  @Test
  void permissionDeniedListingADirectory_isPermanent() {
    Path dir = tmp.resolve("db");

    BackendException e = FileFailures.classify("c", dir.toString(), new AccessDeniedException(dir.toString()));

    assertThat(e).isInstanceOf(PermanentBackendException.class).hasMessageContaining("permission denied reading " + dir);
  }

  @Test
  void otherIoErrors_areTransient() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), SECRET);
    ContentReader failing = (f, max) -> {
      throw new java.nio.file.FileSystemException(f.toString(), null, "Input/output error");
    };

    BackendException e = failure(FileCredentialProvider.ofFile(file).contentReader(failing).build());

    assertThat(e).isInstanceOf(TransientBackendException.class).hasMessageContaining("Input/output error");
  }

  @Test
  void emptyFile_isTransient() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), "");

    BackendException e = failure(FileCredentialProvider.ofFile(file).build());

    assertThat(e).isInstanceOf(TransientBackendException.class).hasMessageContaining(file + " is empty");
  }

  @Test
  void directoryWithoutVisibleFiles_isTransient() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("s"));
    Files.writeString(dir.resolve(".keep"), "");

    BackendException e = failure(FileCredentialProvider.ofDirectory(dir).build());

    assertThat(e).isInstanceOf(TransientBackendException.class).hasMessageContaining("has no files yet");
  }

  @Test
  void missingKeyFile_isTransient_untilItIsWritten() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("db"));
    Files.writeString(dir.resolve("username"), "app");
    FileCredentialProvider provider = FileCredentialProvider.ofDirectory(dir).usernamePassword("username", "password").build();

    BackendException e = failure(provider);
    Files.writeString(dir.resolve("password"), SECRET);

    assertThat(e).isInstanceOf(TransientBackendException.class)
        .hasMessageEndingWith("directory " + dir + " has no file 'password' yet (files: [username])");
    assertThat(fetch(provider).usernamePassword().password()).isEqualTo(SECRET);
  }

  @Test
  void tooLargeFile_isPermanent() throws IOException {
    Path file = Files.writeString(tmp.resolve("api-key"), SECRET + SECRET);

    BackendException e = failure(FileCredentialProvider.ofFile(file).maxSize(SECRET.length()).build());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining("is larger than the limit of " + SECRET.length() + " bytes");
    assertThat(fetch(FileCredentialProvider.ofFile(file).maxSize(2L * SECRET.length()).build()).secretString())
        .isEqualTo(SECRET + SECRET);
  }

  @Test
  void textThatIsNotUtf8_isPermanent_andSuggestsBinary() throws IOException {
    Path file = Files.write(tmp.resolve("key.der"), new byte[] {0x30, (byte) 0x82, (byte) 0xff, (byte) 0xfe});

    BackendException e = failure(FileCredentialProvider.ofFile(file).build());

    assertThat(e).isInstanceOf(PermanentBackendException.class).hasMessageEndingWith("is not UTF-8 text; read it with binary()");
  }

  @Test
  void malformedProperties_isPermanent() throws IOException {
    Path file = Files.writeString(tmp.resolve("db.properties"), "password=" + SECRET + "\\u12");

    BackendException e = failure(FileCredentialProvider.ofFile(file).properties().build());

    assertThat(e).isInstanceOf(PermanentBackendException.class).hasMessageContaining("is not a valid properties file");
  }

  @Test
  void propertiesWithoutTheConfiguredKey_isPermanent() throws IOException {
    Path file = Files.writeString(tmp.resolve("db.properties"), "user=app\npass=" + SECRET + "\n");

    BackendException e = failure(FileCredentialProvider.ofFile(file).usernamePassword("user", "password").build());

    assertThat(e).isInstanceOf(PermanentBackendException.class)
        .hasMessageContaining("properties file " + file + " has no key 'password' (it has 2 keys;")
        .hasMessageNotContaining("pass,").hasMessageNotContaining("[pass");
  }

  @Test
  void noMessageEverContainsTheSecret() throws IOException {
    Path text = Files.writeString(tmp.resolve("text"), SECRET);
    Path binaryish = Files.write(tmp.resolve("bin"), (SECRET + "\u00ff").getBytes(StandardCharsets.ISO_8859_1));
    Path props = Files.writeString(tmp.resolve("props"), "password=" + SECRET + "\nbad=\\uZZZZ\n");
    Path propsMissing = Files.writeString(tmp.resolve("props2"), "pass=" + SECRET + "\n");
    Path dir = Files.createDirectory(tmp.resolve("dir"));
    Files.writeString(dir.resolve("other"), SECRET);
    Files.write(dir.resolve("bin"), new byte[] {(byte) 0xff});
    List<FileCredentialProvider> failing = List.of(
        FileCredentialProvider.ofFile(text).maxSize(4).build(),
        FileCredentialProvider.ofDirectory(text).build(),
        FileCredentialProvider.ofFile(text.resolve("x")).build(),
        FileCredentialProvider.ofFile(binaryish).build(),
        FileCredentialProvider.ofFile(props).properties().build(),
        FileCredentialProvider.ofFile(propsMissing).usernamePassword("user", "password").build(),
        FileCredentialProvider.ofDirectory(dir).build(),
        FileCredentialProvider.ofDirectory(dir).usernamePassword("user", "password").build());

    List<String> messages = new ArrayList<>();
    for (FileCredentialProvider p : failing) {
      for (Throwable t = failure(p); t != null; t = t.getCause()) {
        messages.add(t.toString());
      }
      messages.add(p.toString());
    }

    assertThat(messages).hasSizeGreaterThan(failing.size() * 2);
    assertThat(messages).allSatisfy(m -> assertThat(m).doesNotContain(SECRET).doesNotContain("sk_live"));
  }

  private static BackendException failure(FileCredentialProvider provider) {
    BackendException e = catchThrowableOfType(BackendException.class, () -> fetch(provider));
    assertThat(e).as("fetch of %s should fail", provider).isNotNull();
    return e;
  }
}
