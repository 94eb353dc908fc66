package io.github.rotate4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.CredentialStartupException;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.vault.VaultSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class Rotate4jAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(Rotate4jAutoConfiguration.class));

  @Test
  void credentials_areBeansByName_andStartedWhenInjected() {
    runner.withPropertyValues(
            "rotate4j.credentials.orders-db.source=in-memory",
            "rotate4j.credentials.orders-db.value=s3cret",
            "rotate4j.credentials.payments-key.source=in-memory",
            "rotate4j.credentials.payments-key.value=k1")
        .withUserConfiguration(NeedsOrdersDb.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed().hasSingleBean(CredentialRegistry.class);
          assertThat(ctx.getBean(CredentialRegistry.class).names()).containsExactly("orders-db", "payments-key");
          NeedsOrdersDb user = ctx.getBean(NeedsOrdersDb.class);
          assertThat(user.credential.name()).isEqualTo("orders-db");
          assertThat(user.credential.status().state()).isEqualTo(CredentialState.UP);
          assertThat(user.credential.get().secretString()).isEqualTo("s3cret");
          assertThat(ctx.getBean("payments-key", RotatingCredential.class).get().secretString()).isEqualTo("k1");
        });
  }

  @Test
  void credentialsStartBeforeTheirDependants_andCloseAfterThem() {
    List<String> seen = new ArrayList<>();
    runner.withPropertyValues("rotate4j.credentials.orders-db.source=in-memory", "rotate4j.credentials.orders-db.value=v")
        .withBean("recorder", List.class, () -> seen)
        .withUserConfiguration(RecordsStateOnDestroy.class)
        .run(ctx -> {
          RotatingCredential credential = ctx.getBean("orders-db", RotatingCredential.class);
          ctx.close();
          assertThat(credential.status().state()).isEqualTo(CredentialState.DOWN);
        });
    assertThat(seen).containsExactly("created with UP", "UP:v");
  }

  @Test
  void credentials_startInParallel() throws Exception {
    InMemoryCredentialProvider a = InMemoryCredentialProvider.builder().initialValue("a").build();
    InMemoryCredentialProvider b = InMemoryCredentialProvider.builder().initialValue("b").build();
    a.hold();
    b.hold();
    CompletableFuture<Void> startup = CompletableFuture.runAsync(() -> runner
        .withBean("heldFactory", CredentialProviderFactory.class, () -> new CredentialProviderFactory() {
          @Override
          public Set<String> sources() {
            return Set.of("held");
          }

          @Override
          public CredentialProvider create(String name, String source, Rotate4jProperties.Credential settings) {
            return name.equals("a") ? a : b;
          }
        })
        .withPropertyValues("rotate4j.credentials.a.source=held", "rotate4j.credentials.b.source=held")
        .run(ctx -> assertThat(ctx).hasNotFailed()));
    try {
      // both first fetches are under way at the same time: neither waits for the other
      assertThat(a.awaitCall(Duration.ofSeconds(10))).isTrue();
      assertThat(b.awaitCall(Duration.ofSeconds(10))).isTrue();
    } finally {
      a.release();
      b.release();
    }
    startup.join();
  }

  @Test
  void disabled_createsNothing() {
    runner.withPropertyValues("rotate4j.enabled=false",
            "rotate4j.credentials.orders-db.source=in-memory", "rotate4j.credentials.orders-db.value=v")
        .run(ctx -> assertThat(ctx).hasNotFailed()
            .doesNotHaveBean(CredentialRegistry.class)
            .doesNotHaveBean(RotatingCredential.class)
            .doesNotHaveBean(Rotate4jProperties.class));
  }

  @Test
  void noCredentials_givesAnEmptyRegistry() {
    runner.run(ctx -> assertThat(ctx.getBean(CredentialRegistry.class).names()).isEmpty());
  }

  @Test
  void userRegistry_replacesTheStartersOwn() {
    runner.withUserConfiguration(OwnRegistry.class)
        .run(ctx -> assertThat(ctx.getBean(CredentialRegistry.class)).isSameAs(ctx.getBean(OwnRegistry.class).registry));
  }

  @Test
  void customizers_adjustEveryCredential() {
    List<String> events = new ArrayList<>();
    runner.withPropertyValues("rotate4j.credentials.a.source=in-memory", "rotate4j.credentials.a.value=v",
            "rotate4j.credentials.b.source=in-memory", "rotate4j.credentials.b.value=w")
        .withBean(RotatingCredentialBuilderCustomizer.class, () -> (name, builder) -> {
          events.add("customized " + name);
          builder.listener(CredentialListener.forEvery(e -> { }));
        })
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(events).containsExactly("customized a", "customized b");
        });
  }

  @Test
  void customizer_cannotSetWhatPropertiesSet_andTheErrorSaysWhich() {
    runner.withPropertyValues("rotate4j.credentials.a.source=in-memory", "rotate4j.credentials.a.value=v",
            "rotate4j.credentials.a.lazy-start=true")
        .withBean(RotatingCredentialBuilderCustomizer.class, () -> (name, builder) -> builder.lazyStart(false))
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("lazyStart was already set"));
  }

  @Test
  void fileSource_readsTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("api-key");
    Files.writeString(file, "abc\n");
    runner.withPropertyValues("rotate4j.credentials.api.source=file", "rotate4j.credentials.api.path=" + file)
        .run(ctx -> assertThat(ctx.getBean("api", RotatingCredential.class).get().secretString()).isEqualTo("abc"));
  }

  @Test
  void fileSource_directoryWithUsernameAndPassword(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("user"), "app");
    Files.writeString(dir.resolve("pass"), "pw");
    runner.withPropertyValues("rotate4j.credentials.db.source=file", "rotate4j.credentials.db.path=" + dir,
            "rotate4j.credentials.db.format=username-password", "rotate4j.credentials.db.username-key=user",
            "rotate4j.credentials.db.password-key=pass")
        .run(ctx -> assertThat(ctx.getBean("db", RotatingCredential.class).get().usernamePassword().username()).isEqualTo("app"));
  }

  @Test
  void startupFailure_namesCredentialBackendAndPath(@TempDir Path dir) {
    runner.withPropertyValues("rotate4j.credentials.api.source=file",
            "rotate4j.credentials.api.path=" + dir.resolve("missing"),
            "rotate4j.credentials.api.refresh.startup-timeout=200ms",
            "rotate4j.credentials.api.retry.max-attempts=1")
        .run(ctx -> {
          assertThat(causeOfType(ctx.getStartupFailure(), CredentialStartupException.class)).hasMessageContaining("'api'")
              .hasMessageContaining("file").hasMessageContaining(dir.resolve("missing").toString());
        });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "source|vault-kw|'vault-kw' is not supported; allowed values: aws, file, in-memory, vault-kv, vault-lease, vault-static-role",
      "format|yaml|'yaml' is not supported; allowed values: text, binary, properties, username-password",
      "refresh.jitter|0.9|invalid value 0.9",
      "refresh.ratio|1.5|invalid value 1.5",
      "retry.max-attempts|0|must be at least 1, but was 0",
      "retry.randomization|1.5|must be at least 0 and below 1, but was 1.5",
      "circuit-breaker.failure-rate-threshold|150|invalid value 150.0",
      "pathh|/x|unknown setting 'pathh'; allowed: source, path, mount",
  })
  void invalidSetting_failsStartupNamingPropertyAndAllowedValues(String key, String value, String message) {
    runner.withPropertyValues("rotate4j.credentials.api.source=file", "rotate4j.credentials.api.path=/tmp/x",
            "rotate4j.credentials.api." + key + "=" + value)
        .run(ctx -> assertThat(causeOfType(ctx.getStartupFailure(), SettingException.class))
            .hasMessageContaining("rotate4j.credentials.api." + key)
            .hasMessageContaining(message));
  }

  @Test
  void missingSource_listsTheAllowedValues() {
    runner.withPropertyValues("rotate4j.credentials.api.path=/tmp/x")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessage("rotate4j.credentials.api.source: must be set; allowed values: aws, file, in-memory, vault-kv, vault-lease, vault-static-role"));
  }

  @Test
  void unknownTopLevelSetting_failsStartup() {
    runner.withPropertyValues("rotate4j.vault.adress=http://127.0.0.1:8200")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageStartingWith("rotate4j.vault.adress: unknown setting; allowed under rotate4j:")
            .hasMessageContaining("vault.address"));
  }

  @Test
  void vaultLease_maxTtl_isValidatedAndNamed() {
    runner.withPropertyValues("rotate4j.vault.address=http://127.0.0.1:1", "rotate4j.vault.auth.token=t",
            "rotate4j.credentials.db.source=vault-lease", "rotate4j.credentials.db.path=database/creds/app",
            "rotate4j.credentials.db.lazy-start=true", "rotate4j.credentials.db.max-ttl=-1s")
        .run(ctx -> assertThat(causeOfType(ctx.getStartupFailure(), SettingException.class))
            .hasMessageContaining("rotate4j.credentials.db.max-ttl")
            .hasMessageContaining("maxTtl must be greater than 0, but was PT-1S"));
  }

  @Test
  void vaultAuthMethod_mustBeKnown() {
    runner.withPropertyValues("rotate4j.vault.address=http://127.0.0.1:1", "rotate4j.vault.auth.method=ldap",
            "rotate4j.credentials.kv.source=vault-kv", "rotate4j.credentials.kv.path=app")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessage("rotate4j.vault.auth.method: 'ldap' is not supported; allowed values: token, token-file, approle, kubernetes, jwt"));
  }

  @Test
  void vaultSession_isOnlyCreatedWhenAVaultCredentialNeedsIt() {
    runner.withPropertyValues("rotate4j.credentials.a.source=in-memory", "rotate4j.credentials.a.value=v")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBeanFactory().containsSingleton("rotate4jVaultSession")).isFalse();
        });
  }

  @Test
  void vaultSessionCustomizer_runsBeforeTheEnvironmentFillsTheRest() {
    runner.withPropertyValues("rotate4j.vault.auth.token=t0ken",
            "rotate4j.credentials.kv.source=vault-kv", "rotate4j.credentials.kv.path=app",
            "rotate4j.credentials.kv.lazy-start=true")
        .withBean(VaultSessionBuilderCustomizer.class, () -> b -> b.address("http://127.0.0.1:9"))
        .run(ctx -> assertThat(ctx.getBean(VaultSession.class).address()).isEqualTo("http://127.0.0.1:9"));
  }

  @ParameterizedTest(name = "mount={0} path={1}")
  @CsvSource({
      "'', database/static-creds/orders, database/static-creds/orders",
      "database, orders, database/static-creds/orders",
      "db/prod, orders, db/prod/static-creds/orders",
  })
  void vaultStaticRole_readsStaticCredsOfTheRole(String mount, String path, String expected) {
    List<String> props = new ArrayList<>(List.of("rotate4j.vault.address=http://127.0.0.1:9", "rotate4j.vault.auth.token=t",
        "rotate4j.credentials.db.source=vault-static-role", "rotate4j.credentials.db.path=" + path,
        "rotate4j.credentials.db.lazy-start=true"));
    if (!mount.isEmpty()) {
      props.add("rotate4j.credentials.db.mount=" + mount);
    }
    runner.withPropertyValues(props.toArray(String[]::new))
        .run(ctx -> assertThat(ctx.getBean(CredentialProviders.class).asMap().get("db").path()).isEqualTo(expected));
  }

  @Test
  void vaultStaticRole_roleWithASlash_namesThePath() {
    runner.withPropertyValues("rotate4j.vault.address=http://127.0.0.1:9", "rotate4j.vault.auth.token=t",
            "rotate4j.credentials.db.source=vault-static-role", "rotate4j.credentials.db.mount=database",
            "rotate4j.credentials.db.path=static-creds/orders")
        .run(ctx -> assertThat(causeOfType(ctx.getStartupFailure(), SettingException.class))
            .hasMessageStartingWith("rotate4j.credentials.db.path: role must be a static role name without '/'"));
  }

  @Test
  void awsCustomizer_seesEachAwsCredential() {
    List<String> names = new ArrayList<>();
    runner.withPropertyValues("rotate4j.aws.region=eu-west-1", "rotate4j.aws.endpoint=http://127.0.0.1:9",
            "rotate4j.aws.credentials.access-key-id=AKID", "rotate4j.aws.credentials.secret-access-key=SECRET",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=payments/api-key",
            "rotate4j.credentials.pay.lazy-start=true")
        .withBean(AwsSecretsManagerProviderCustomizer.class, () -> (name, b) -> names.add(name))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(names).containsExactly("pay");
          assertThat(ctx.getBean(CredentialProviders.class).backendId("pay")).hasValueSatisfying(id -> assertThat(id).contains("aws"));
        });
  }

  @Test
  void awsCustomizer_mayGiveTheProviderAClockOfItsOwn() {
    runner.withPropertyValues("rotate4j.aws.region=eu-west-1", "rotate4j.aws.endpoint=http://127.0.0.1:9",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=payments/api-key",
            "rotate4j.credentials.pay.lazy-start=true")
        .withBean(AwsSecretsManagerProviderCustomizer.class,
            () -> (name, b) -> b.clock(java.time.Clock.systemUTC()))
        .run(ctx -> assertThat(ctx).hasNotFailed().hasBean("pay"));
  }

  @Test
  void awsCredentials_shareOneClient_andOneChangeWatch_whenEnabled() {
    runner.withPropertyValues("rotate4j.aws.region=eu-west-1", "rotate4j.aws.endpoint=http://127.0.0.1:9",
            "rotate4j.aws.credentials.access-key-id=AKID", "rotate4j.aws.credentials.secret-access-key=SECRET",
            "rotate4j.aws.change-watch.enabled=true", "rotate4j.aws.change-watch.max-age=2m",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=payments/api-key",
            "rotate4j.credentials.pay.lazy-start=true",
            "rotate4j.credentials.ship.source=aws", "rotate4j.credentials.ship.secret-id=shipping/api-key",
            "rotate4j.credentials.ship.lazy-start=true")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          AwsProviderFactory factory = ctx.getBean("rotate4jAwsProviderFactory", AwsProviderFactory.class);
          io.github.rotate4j.aws.SecretsManagerChangeWatch watch = factory.sharedWatch();
          assertThat(watch).isNotNull();
          assertThat(watch.maxAge()).isEqualTo(Duration.ofMinutes(2));
          assertThat(watch.secretIds()).containsExactlyInAnyOrder("payments/api-key", "shipping/api-key");
          assertThat(factory.sharedClient()).isSameAs(factory.sharedClient());
        });
  }

  @Test
  void awsChangeWatch_offByDefault_andItsMaxAgeIsValidated() {
    runner.withPropertyValues("rotate4j.aws.region=eu-west-1", "rotate4j.aws.endpoint=http://127.0.0.1:9",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=x",
            "rotate4j.credentials.pay.lazy-start=true")
        .run(ctx -> assertThat(ctx.getBean("rotate4jAwsProviderFactory", AwsProviderFactory.class).sharedWatch()).isNull());
    runner.withPropertyValues("rotate4j.aws.region=eu-west-1", "rotate4j.aws.change-watch.enabled=true",
            "rotate4j.aws.change-watch.max-age=0s",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=x")
        .run(ctx -> assertThat(causeOfType(ctx.getStartupFailure(), SettingException.class))
            .hasMessageContaining("rotate4j.aws.change-watch.max-age").hasMessageContaining("PT0S"));
  }

  @Test
  void anApplicationsSecretsManagerClient_isTheSharedClient_andStaysOpen() {
    List<String> closed = new ArrayList<>();
    software.amazon.awssdk.services.secretsmanager.SecretsManagerClient own =
        new software.amazon.awssdk.services.secretsmanager.SecretsManagerClient() {
          @Override
          public String serviceName() {
            return "secretsmanager";
          }

          @Override
          public software.amazon.awssdk.services.secretsmanager.SecretsManagerServiceClientConfiguration serviceClientConfiguration() {
            return software.amazon.awssdk.services.secretsmanager.SecretsManagerServiceClientConfiguration.builder()
                .region(software.amazon.awssdk.regions.Region.EU_WEST_1).build();
          }

          @Override
          public void close() {
            closed.add("closed");
          }
        };
    runner.withPropertyValues("rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=x",
            "rotate4j.credentials.pay.lazy-start=true")
        .withBean(software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.class, () -> own)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean("rotate4jAwsProviderFactory", AwsProviderFactory.class).sharedClient()).isSameAs(own);
          ((AutoCloseable) ctx.getBean("rotate4jAwsProviderFactory")).close();
          assertThat(closed).as("the application's client is the application's to close").isEmpty();
        });
  }

  @Test
  void awsKeys_mustComeTogether() {
    runner.withPropertyValues("rotate4j.aws.credentials.access-key-id=AKID",
            "rotate4j.credentials.pay.source=aws", "rotate4j.credentials.pay.secret-id=x")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageStartingWith("rotate4j.aws.credentials: access-key-id and secret-access-key must be set together"));
  }

  @ParameterizedTest(name = "{0} without {1}")
  @CsvSource({
      "vault-kv, io.github.rotate4j.vault.VaultSession, io.github.rotate4j:rotate4j-vault",
      "aws, io.github.rotate4j.aws.AwsSecretsManagerProvider, io.github.rotate4j:rotate4j-aws",
      "in-memory, io.github.rotate4j.testing.InMemoryCredentialProvider, io.github.rotate4j:rotate4j-test",
  })
  void sourceWithoutItsLibrary_failsNamingTheLibrary(String source, String missingClass, String library) throws Exception {
    runner.withClassLoader(new FilteredClassLoader(Class.forName(missingClass)))
        .withPropertyValues("rotate4j.credentials.c.source=" + source, "rotate4j.credentials.c.path=p",
            "rotate4j.credentials.c.secret-id=s", "rotate4j.credentials.c.value=v")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessage("rotate4j.credentials.c.source: '" + source + "' needs " + library + " on the class path"));
  }

  @Test
  void missingOptionalLibraries_turnTheirPartsOff() {
    runner.withClassLoader(new FilteredClassLoader(VaultSession.class, AwsSecretsManagerProvider.class,
            InMemoryCredentialProvider.class))
        .run(ctx -> assertThat(ctx).hasNotFailed()
            .hasSingleBean(CredentialRegistry.class)
            .doesNotHaveBean("rotate4jVaultProviderFactory")
            .doesNotHaveBean("rotate4jAwsProviderFactory")
            .doesNotHaveBean("rotate4jInMemoryProviderFactory"));
  }

  @Test
  void credentialNamedLikeAnotherBean_isStillInjectableByQualifier() {
    runner.withPropertyValues("rotate4j.credentials.clash.source=in-memory", "rotate4j.credentials.clash.value=v")
        .withBean("clash", String.class, () -> "another bean")
        .withUserConfiguration(NeedsClash.class)
        .run(ctx -> assertThat(ctx.getBean(NeedsClash.class).credential.name()).isEqualTo("clash"));
  }

  static Throwable causeOfType(Throwable failure, Class<? extends Throwable> type) {
    Throwable t = failure;
    while (t != null && !type.isInstance(t)) {
      t = t.getCause();
    }
    assertThat(t).as("a %s in %s", type.getSimpleName(), failure).isNotNull();
    return t;
  }

  @Configuration(proxyBeanMethods = false)
  static class NeedsOrdersDb {
    final RotatingCredential credential;

    NeedsOrdersDb(@Qualifier("orders-db") RotatingCredential credential) {
      this.credential = credential;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class NeedsClash {
    final RotatingCredential credential;

    NeedsClash(@Qualifier("clash") RotatingCredential credential) {
      this.credential = credential;
    }
  }

  /** Stands for a connection pool: on shutdown it still needs its credential. */
  @Configuration(proxyBeanMethods = false)
  static class RecordsStateOnDestroy implements DisposableBean {
    private final RotatingCredential credential;
    private final List<String> recorder;

    @SuppressWarnings("unchecked")
    RecordsStateOnDestroy(@Qualifier("orders-db") RotatingCredential credential, List<?> recorder) {
      this.credential = credential;
      this.recorder = (List<String>) recorder;
      this.recorder.add("created with " + credential.status().state());
    }

    @Override
    public void destroy() {
      recorder.add(credential.status().state() + ":" + credential.get().secretString());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnRegistry {
    final CredentialRegistry registry = CredentialRegistry.builder()
        .register("own", InMemoryCredentialProvider.builder().initialValue("x").build())
        .build();

    @Bean
    CredentialRegistry myRegistry() {
      return registry;
    }
  }

}
