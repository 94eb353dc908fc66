package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * AWS misconfigurations fed with a known canary secret (in the value, in a malformed JSON value, as
 * the secret access key), each run as a whole credential against a real moto server: the canary
 * shows up in no log line at any level, no exception, no event and no {@code toString()}.
 */
@ExtendWith(MotoServerExtension.class)
class AwsSecretLeakIT {

  static final String CANARY = "canary-Kx5pR9-secret";
  static final String SECRET = "leak/secret";

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

  /** One misconfiguration: what the secret holds, and how the provider is set up. */
  record Case(String name, Consumer<SecretsManagerClient> secret,
      BiFunction<MotoServer, AwsSecretsManagerProvider.Builder, AwsSecretsManagerProvider.Builder> provider) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Consumer<SecretsManagerClient> text(String value) {
    return admin -> admin.createSecret(r -> r.name(SECRET).secretString(value));
  }

  static Stream<Case> misconfigurations() {
    return Stream.of(
        new Case("malformed JSON read as JSON", text("{\"password\": " + CANARY + "}"), (m, b) -> b.format(SecretFormat.JSON)),
        new Case("malformed JSON read as AUTO (served as text, warned)", text("{\"password\": " + CANARY + "}"), (m, b) -> b),
        new Case("secret-only text read as JSON", text(CANARY), (m, b) -> b.format(SecretFormat.JSON)),
        new Case("secret-only text read as username and password", text(CANARY),
            (m, b) -> b.format(SecretFormat.USERNAME_PASSWORD)),
        new Case("JSON without a password field read as username and password",
            text("{\"username\":\"app\",\"pwd\":\"" + CANARY + "\"}"), (m, b) -> b.format(SecretFormat.USERNAME_PASSWORD)),
        new Case("JSON with the canary as a duplicate field name", text("{\"" + CANARY + "\":1,\"" + CANARY + "\":2}"),
            (m, b) -> b.format(SecretFormat.JSON)),
        new Case("JSON nested too deep", text("{\"a\":" + "[".repeat(80) + "\"" + CANARY + "\"" + "]".repeat(80) + "}"),
            (m, b) -> b.format(SecretFormat.JSON)),
        new Case("JSON with the canary as a field name, read fine", text("{\"" + CANARY + "\":\"x\",\"api\":\"" + CANARY + "\"}"),
            (m, b) -> b.format(SecretFormat.JSON)),
        new Case("binary secret read as text", admin -> admin.createSecret(r -> r.name(SECRET)
            .secretBinary(SdkBytes.fromUtf8String(CANARY))), (m, b) -> b.format(SecretFormat.STRING)),
        new Case("wrong secret access key, IAM enforced", text(CANARY), (m, b) -> {
          enforceIam(m);
          return b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIAEXAMPLE", CANARY)));
        }),
        new Case("https against the plain endpoint", text(CANARY), (m, b) -> b.credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIAEXAMPLE", CANARY)))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("misconfigurations")
  void canaryShowsNowhere(Case c, MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient()) {
      c.secret().accept(admin);
    }
    URI endpoint = c.name().startsWith("https")
        ? URI.create("https://127.0.0.1:" + moto.endpoint().getPort()) : moto.endpoint();
    AwsSecretsManagerProvider.Builder builder = AwsSecretsManagerProvider.builder(SECRET)
        .region(MotoServer.REGION).endpointOverride(endpoint);
    builder = c.provider().apply(moto, builder);
    if (!c.name().contains("access key") && !c.name().startsWith("https")) {
      builder.credentialsProvider(MotoServer.TEST_CREDENTIALS);
    }
    List<String> seen = new ArrayList<>();
    List<CredentialEvent> events = new CopyOnWriteArrayList<>();
    try (AwsSecretsManagerProvider provider = builder.build()) {
      seen.add(provider.toString());
      try (RotatingCredential credential = RotatingCredential.builder("leak-check", provider)
          .refreshPolicy(RefreshPolicy.custom().startupTimeout(Duration.ofSeconds(3)).build())
          .listener(CredentialListener.forEvery(events::add))
          .build()) {
        try {
          credential.start();
          seen.add(credential.get().toString());
          seen.add(credential.get().value().toString());
          seen.add(credential.keyRing().toString());
          addChain(seen, catchAny(() -> credential.verify("not-the-key")));
          credential.refreshNow().handle((r, t) -> t).join();
        } catch (RuntimeException e) {
          addChain(seen, e);
        }
        seen.add(credential.status().toString());
      }
    }
    events.forEach(e -> seen.add(e.toString()));
    for (ILoggingEvent e : appender.list) {
      seen.add(e.getFormattedMessage());
      addProxy(seen, e.getThrowableProxy());
    }

    assertThat(appender.list).as("the scenario logged something").isNotEmpty();
    assertThat(seen).allSatisfy(text -> assertThat(String.valueOf(text)).doesNotContain(CANARY));
  }

  private static void enforceIam(MotoServer moto) {
    try {
      moto.enforceIam();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Throwable catchAny(Runnable r) {
    try {
      r.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static void addChain(List<String> seen, Throwable t) {
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
}
