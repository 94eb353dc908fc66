package io.github.rotate4j.file;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.RotatingCredentialBuilder;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.testing.ManualTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Every file-provider misconfiguration we could think of, fed with a known canary secret, through a
 * whole credential life (start, polls, verify, status, close): the canary shows up in no log line at
 * any level, no exception (causes and suppressed included), no event and no {@code toString()}.
 */
class FileProviderSecretLeakTest {

  static final String CANARY = "canary-Zq8xW3-secret";

  @TempDir Path tmp;

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private Level rootLevel;

  @BeforeEach
  void captureEveryLevel() {
    rootLevel = root.getLevel();
    root.setLevel(Level.TRACE);
    appender.start();
    root.addAppender(appender);
  }

  @AfterEach
  void release() {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
  }

  static Stream<Arguments> misconfigurations() {
    return Stream.of(
        Arguments.of("secret-only file read as properties",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "api-key", CANARY + "\n")).properties().build())),
        Arguments.of("secret-only file read as username and password",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", CANARY + "\n")).usernamePassword("user", "password").build())),
        Arguments.of("secret line among properties, read as properties",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", "user=app\n" + CANARY + "\n")).properties().build())),
        Arguments.of("secret line among properties, read as username and password",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", "user=app\n" + CANARY + "\n"))
                .usernamePassword("user", "password").build())),
        Arguments.of("secret with a trailing '=' read as properties",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", CANARY + "=\n")).properties().build())),
        Arguments.of("secret as a key with a colon",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", CANARY + ": x\nuser=app\n"))
                .usernamePassword("user", "password").build())),
        Arguments.of("malformed properties escape after the secret",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", "password=" + CANARY + "\\u12")).properties().build())),
        Arguments.of("binary secret read as text",
            setup(dir -> FileCredentialProvider.ofFile(bytes(dir, "key", CANARY + "\u00ff")).build())),
        Arguments.of("file larger than maxSize",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "api-key", CANARY)).maxSize(4).build())),
        Arguments.of("file read as a directory",
            setup(dir -> FileCredentialProvider.ofDirectory(text(dir, "api-key", CANARY)).build())),
        Arguments.of("directory read as a file",
            setup(dir -> FileCredentialProvider.ofFile(secretDir(dir, "password", CANARY)).build())),
        Arguments.of("path below a file",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "api-key", CANARY).resolve("x")).build())),
        Arguments.of("directory without the username and password files",
            setup(dir -> FileCredentialProvider.ofDirectory(secretDir(dir, "pass", CANARY))
                .usernamePassword("user", "password").build())),
        Arguments.of("directory keys naming absent files",
            setup(dir -> FileCredentialProvider.ofDirectory(secretDir(dir, "password", CANARY)).keys("token").build())),
        Arguments.of("directory with a binary file read as text",
            setup(dir -> {
              Path d = secretDir(dir, "user", "app");
              bytes(d, "password", CANARY + "\u00ff");
              return FileCredentialProvider.ofDirectory(d).build();
            })),
        Arguments.of("directory with a file over maxSize",
            setup(dir -> FileCredentialProvider.ofDirectory(secretDir(dir, "password", CANARY)).maxSize(4).build())),
        Arguments.of("several fields, keyField naming none of them",
            setup(dir -> FileCredentialProvider.ofFile(text(dir, "db", "user=app\n" + CANARY + "\n")).properties().build(),
                b -> b.keyField("password"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("misconfigurations")
  void canaryShowsNowhere(String name, Scenario scenario) {
    List<String> seen = new ArrayList<>();
    List<CredentialEvent> events = new CopyOnWriteArrayList<>();
    ManualTime time = ManualTime.create();
    FileCredentialProvider provider = scenario.provider.apply(tmp);
    seen.add(provider.toString());
    RotatingCredentialBuilder builder = RotatingCredential.builder("leak-check", provider)
        .refreshPolicy(RefreshPolicy.custom().refreshInterval(Duration.ofMinutes(1)).startupTimeout(Duration.ofSeconds(20)).build())
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor())
        .listener(CredentialListener.forEvery(events::add));
    scenario.customizer.apply(builder);
    RotatingCredential credential;
    try {
      credential = builder.build();
    } catch (RuntimeException refused) {
      addChain(seen, refused);
      assertNoCanary(seen);
      return;
    }
    CompletableFuture<RotatingCredential> started = credential.startAsync();
    time.advance(Duration.ofSeconds(25));
    Throwable startFailure = started.handle((c, t) -> t).join();
    if (startFailure == null) {
      seen.add(credential.get().toString());
      seen.add(credential.get().value().toString());
      seen.add(credential.keyRing().toString());
      addChain(seen, catchAny(() -> credential.verify("not-the-key")));
      addChain(seen, catchAny(() -> credential.verify(CANARY)));
    } else {
      addChain(seen, startFailure);
    }
    time.advance(Duration.ofMinutes(5));
    seen.add(credential.status().toString());
    credential.status().lastFailure().ifPresent(f -> seen.add(f.toString()));
    credential.close();
    events.forEach(e -> seen.add(e.toString()));
    for (ILoggingEvent e : appender.list) {
      seen.add(e.getFormattedMessage());
      addProxy(seen, e.getThrowableProxy());
    }

    assertThat(appender.list).as("the scenario logged something").isNotEmpty();
    assertNoCanary(seen);
  }

  private static void assertNoCanary(List<String> seen) {
    assertThat(seen).isNotEmpty().allSatisfy(text -> assertThat(String.valueOf(text)).doesNotContain(CANARY));
  }

  private static Throwable catchAny(Runnable r) {
    try {
      r.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  static void addChain(List<String> seen, Throwable t) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      seen.add(t.toString());
      for (Throwable s : t.getSuppressed()) {
        addChain(seen, s);
      }
    }
  }

  private static void addProxy(List<String> seen, IThrowableProxy t) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      seen.add(t.getClassName() + ": " + t.getMessage());
      for (IThrowableProxy s : t.getSuppressed()) {
        addProxy(seen, s);
      }
    }
  }

  /** A provider set up in a directory, and an optional change to the credential builder. */
  record Scenario(Function<Path, FileCredentialProvider> provider, Function<RotatingCredentialBuilder, RotatingCredentialBuilder> customizer) {
    @Override
    public String toString() {
      return "scenario";
    }
  }

  private static Scenario setup(Function<Path, FileCredentialProvider> provider) {
    return new Scenario(provider, b -> b);
  }

  private static Scenario setup(
      Function<Path, FileCredentialProvider> provider, Function<RotatingCredentialBuilder, RotatingCredentialBuilder> customizer) {
    return new Scenario(provider, customizer);
  }

  private static Path text(Path dir, String name, String content) {
    try {
      return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path bytes(Path dir, String name, String latin1) {
    try {
      return Files.write(dir.resolve(name), latin1.getBytes(StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path secretDir(Path dir, String file, String content) {
    try {
      Path d = Files.createDirectories(dir.resolve("volume"));
      text(d, file, content);
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
