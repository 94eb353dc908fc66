package io.github.rotate4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.CredentialState;
import io.github.rotate4j.KeySlot;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.aws.MotoServer;
import io.github.rotate4j.aws.MotoServerExtension;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * A Spring Boot application whose credentials come from AWS Secrets Manager (a real {@code
 * moto_server} on a loopback port), configured by properties alone: start-up reads, rotations
 * followed by the scheduled polls (through the shared client and the opt-in change watch), the
 * previous key valid after a rotation, and start-up failures that name the secret and the region.
 */
@ExtendWith(MotoServerExtension.class)
class AwsSecretsManagerStarterIT {

  /** An application without a database (the test class path has JDBC for the other tests). */
  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration(excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  static class App {}

  /** Manual time for the credentials, so that a test can move past a poll without waiting. */
  @Configuration(proxyBeanMethods = false)
  static class ManualClock {
    static final ManualTime TIME = ManualTime.create();

    @Bean
    CredentialRegistryCustomizer manualTime() {
      return b -> b.clock(TIME.clock()).scheduler(TIME.scheduler())
          .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor());
    }
  }

  private static ConfigurableApplicationContext start(MotoServer moto, Class<?>[] sources, String... extra) {
    List<String> props = new ArrayList<>(List.of(
        "rotate4j.aws.region=" + MotoServer.REGION.id(),
        "rotate4j.aws.endpoint=" + moto.endpoint(),
        "rotate4j.aws.credentials.access-key-id=testing",
        "rotate4j.aws.credentials.secret-access-key=testing"));
    props.addAll(List.of(extra));
    return new SpringApplicationBuilder(sources)
        .web(WebApplicationType.NONE)
        .properties(props.toArray(String[]::new))
        .run();
  }

  private static void createSecrets(MotoServer moto) {
    try (SecretsManagerClient aws = moto.newClient()) {
      aws.createSecret(r -> r.name("payments/api-key").secretString("key-1"));
      aws.createSecret(r -> r.name("orders/db").secretString("{\"username\":\"orders\",\"password\":\"pw-1\"}"));
    }
  }

  private static void rotate(MotoServer moto, String secretId, String value) {
    try (SecretsManagerClient aws = moto.newClient()) {
      aws.putSecretValue(r -> r.secretId(secretId).secretString(value)); // moves AWSCURRENT, old one AWSPREVIOUS
    }
  }

  @Test
  void propertiesAlone_readSecretsAtStartUp_andFollowARotationOnDemand(MotoServer moto) {
    createSecrets(moto);
    try (ConfigurableApplicationContext ctx = start(moto, new Class<?>[] {App.class},
        "rotate4j.credentials.payments.source=aws",
        "rotate4j.credentials.payments.secret-id=payments/api-key",
        "rotate4j.credentials.orders-db.source=aws",
        "rotate4j.credentials.orders-db.secret-id=orders/db")) {
      RotatingCredential payments = ctx.getBean("payments", RotatingCredential.class);
      RotatingCredential db = ctx.getBean("orders-db", RotatingCredential.class);
      assertThat(payments.get().secretString()).isEqualTo("key-1");
      assertThat(db.get().usernamePassword().username()).isEqualTo("orders");
      assertThat(db.get().usernamePassword().password()).isEqualTo("pw-1");

      rotate(moto, "payments/api-key", "key-2");
      payments.refreshNow().join();

      assertThat(payments.get().secretString()).isEqualTo("key-2");
      assertThat(payments.verify("key-1")).as("AWSPREVIOUS stays valid").hasValueSatisfying(m ->
          assertThat(m.slot()).isEqualTo(KeySlot.PREVIOUS));
      assertThat(payments.verify("key-2")).hasValueSatisfying(m -> assertThat(m.slot()).isEqualTo(KeySlot.CURRENT));
      assertThat(payments.verify("key-0")).isEmpty();
      assertThat(ctx.getBean(CredentialRegistry.class).get("orders-db").status().state()).isEqualTo(CredentialState.UP);
    }
  }

  @Test
  void scheduledPolls_throughTheChangeWatch_pickUpRotationsOfEverySecret(MotoServer moto) {
    createSecrets(moto);
    ManualTime time = ManualClock.TIME;
    try (ConfigurableApplicationContext ctx = start(moto, new Class<?>[] {App.class, ManualClock.class},
        "rotate4j.aws.change-watch.enabled=true",
        "rotate4j.aws.change-watch.max-age=1m",
        "rotate4j.credentials.payments.source=aws",
        "rotate4j.credentials.payments.secret-id=payments/api-key",
        "rotate4j.credentials.orders-db.source=aws",
        "rotate4j.credentials.orders-db.secret-id=orders/db")) {
      RotatingCredential payments = ctx.getBean("payments", RotatingCredential.class);
      RotatingCredential db = ctx.getBean("orders-db", RotatingCredential.class);
      time.advance(Duration.ofMinutes(6)); // every credential has polled once: nothing changed
      assertThat(payments.get().secretString()).isEqualTo("key-1");

      rotate(moto, "payments/api-key", "key-2");
      rotate(moto, "orders/db", "{\"username\":\"orders\",\"password\":\"pw-2\"}");
      time.advance(Duration.ofMinutes(9)); // past each one's next poll after the watch's answer has aged out

      assertThat(payments.get().secretString()).isEqualTo("key-2");
      assertThat(db.get().usernamePassword().password()).isEqualTo("pw-2");
      assertThat(payments.status().rotations()).isEqualTo(1);
      assertThat(db.status().rotations()).isEqualTo(1);
      assertThat(payments.status().consecutiveFailures()).isZero();
    }
  }

  @Test
  void aMissingSecret_failsStartUp_namingTheCredentialTheSecretAndTheRegion(MotoServer moto) {
    createSecrets(moto);
    assertThatThrownBy(() -> start(moto, new Class<?>[] {App.class},
        "rotate4j.credentials.payments.source=aws",
        "rotate4j.credentials.payments.secret-id=payments/api-key",
        "rotate4j.credentials.shipping.source=aws",
        "rotate4j.credentials.shipping.secret-id=shipping/api-key").close())
        .satisfies(e -> {
          StringBuilder messages = new StringBuilder();
          for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
          }
          assertThat(messages.toString()).contains("shipping").contains("shipping/api-key")
              .contains(MotoServer.REGION.id()).doesNotContain("key-1");
        });
  }
}
