package io.github.rotate4j.vault;

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
import io.github.rotate4j.spi.CredentialProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Vault misconfigurations fed with a known canary secret (as token, secret id, JWT, or the value a
 * wrong provider reads), each run as a whole credential against a real OpenBao server: the canary
 * shows up in no log line at any level, no exception, no event and no {@code toString()}.
 */
@ExtendWith(DevServers.class)
class VaultSecretLeakIT {

  static final String CANARY = "canary-Vq7yT2-secret";

  final OpenBaoDevServer bao;
  @TempDir Path tmp;
  String id;

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private Level rootLevel;

  VaultSecretLeakIT(OpenBaoDevServer bao) {
    this.bao = bao;
  }

  @BeforeEach
  void setUp() {
    id = UUID.randomUUID().toString().substring(0, 8);
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

  /** One misconfiguration: how the session logs in, and what the provider reads. */
  record Case(String name, Function<VaultSecretLeakIT, VaultAuth> auth, Function<VaultSecretLeakIT, String> address,
      Provider provider) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  interface Provider {
    CredentialProvider create(VaultSecretLeakIT it, VaultSession session);
  }

  static Stream<Case> misconfigurations() {
    Provider kv = (it, s) -> VaultKvProvider.of(s, "secret", it.canaryKv());
    return Stream.of(
        new Case("wrong literal token", it -> VaultAuth.token(CANARY), it -> it.bao.address(), kv),
        new Case("wrong token in a token file", it -> VaultAuth.tokenFile(it.file("token", CANARY)), it -> it.bao.address(), kv),
        new Case("AppRole with a wrong secret id", it -> VaultAuth.appRole(it.appRoleId(), CANARY).atMount(it.approleMount()),
            it -> it.bao.address(), kv),
        new Case("AppRole with a wrong secret id file", it -> VaultAuth.appRole(it.appRoleId(), it.file("secret-id", CANARY))
            .atMount(it.approleMount()), it -> it.bao.address(), kv),
        new Case("JWT login on a mount that does not exist", it -> VaultAuth.jwt("app", () -> CANARY),
            it -> it.bao.address(), kv),
        new Case("Kubernetes login with a JWT file, no such mount", it -> VaultAuth.kubernetes("app", it.file("jwt", CANARY)),
            it -> it.bao.address(), kv),
        new Case("https against the plain listener, wrong token", it -> VaultAuth.token(CANARY),
            it -> "https://127.0.0.1:" + URI.create(it.bao.address()).getPort(), kv),
        new Case("lease provider on a KV secret holding the canary", it -> VaultAuth.token(it.bao.rootToken()),
            it -> it.bao.address(), (it, s) -> VaultLeaseProvider.of(s, it.canaryKv1())),
        new Case("KV v2 provider on a KV v1 mount holding the canary", it -> VaultAuth.token(it.bao.rootToken()),
            it -> it.bao.address(), (it, s) -> VaultKvProvider.of(s, it.kv1Mount(), "app")),
        new Case("KV v2 provider on the data path of a secret", it -> VaultAuth.token(it.bao.rootToken()),
            it -> it.bao.address(), (it, s) -> VaultKvProvider.of(s, "secret", "data/" + it.canaryKv())),
        new Case("KV secret read fine, many fields (the canary among them)", it -> VaultAuth.token(it.bao.rootToken()),
            it -> it.bao.address(), kv));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("misconfigurations")
  void canaryShowsNowhere(Case c) {
    List<String> seen = new ArrayList<>();
    List<CredentialEvent> events = new CopyOnWriteArrayList<>();
    VaultAuth auth = c.auth().apply(this);
    seen.add(auth.toString());
    try (VaultSession session = VaultSession.builder().address(c.address().apply(this)).auth(auth)
        .requestTimeout(Duration.ofSeconds(3)).build()) {
      seen.add(session.toString());
      CredentialProvider provider = c.provider().create(this, session);
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
          addChain(seen, catchAny(() -> credential.verify(CANARY)));
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

  String canaryKv() {
    String path = "leak/" + id;
    bao.write("secret/data/" + path, "{\"data\":{\"api_key\":\"" + CANARY + "\",\"" + CANARY + "\":\"x\",\"region\":\"eu\"}}");
    return path;
  }

  String kv1Mount() {
    String mount = "kv1-" + id;
    bao.write("sys/mounts/" + mount, "{\"type\":\"kv\",\"options\":{\"version\":\"1\"}}");
    bao.write(mount + "/app", "{\"password\":\"" + CANARY + "\"}");
    return mount;
  }

  String canaryKv1() {
    return kv1Mount() + "/app";
  }

  String approleMount() {
    return "approle-" + id;
  }

  String appRoleId() {
    bao.write("sys/auth/" + approleMount(), "{\"type\":\"approle\"}");
    bao.write("auth/" + approleMount() + "/role/app", "{\"token_ttl\":\"1m\"}");
    return bao.read("auth/" + approleMount() + "/role/app/role-id").get("data").asObject().getString("role_id", null);
  }

  Path file(String name, String content) {
    try {
      return Files.writeString(tmp.resolve(name), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
