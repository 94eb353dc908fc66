package io.github.rotate4j.spring.boot.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.spring.boot.CredentialProviderFactory;
import io.github.rotate4j.spring.boot.CredentialRegistryCustomizer;
import io.github.rotate4j.spring.boot.Rotate4jAutoConfiguration;
import io.github.rotate4j.spring.boot.jdbc.Rotate4jDataSourceAutoConfiguration;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class ActuatorAutoConfigurationTest {

  private final ManualTime time = ManualTime.create();
  private final InMemoryCredentialProvider leased = InMemoryCredentialProvider.builder()
      .clock(time.clock()).path("database/creds/orders").initialValue("pw1")
      .leases(Duration.ofMinutes(10), Duration.ofMinutes(10), false).build();
  private final InMemoryCredentialProvider staticSecret = InMemoryCredentialProvider.builder()
      .clock(time.clock()).path("secret/payments").initialValue("k1").build();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(Rotate4jAutoConfiguration.class,
          Rotate4jHealthContributorAutoConfiguration.class, Rotate4jMetricsAutoConfiguration.class,
          Rotate4jDataSourceAutoConfiguration.class))
      .withBean(CredentialRegistryCustomizer.class, () -> b -> b.clock(time.clock()).scheduler(time.scheduler())
          .ioExecutor(ManualTime.directExecutor()).eventExecutor(ManualTime.directExecutor()))
      .withBean("testLeaseFactory", CredentialProviderFactory.class, () -> new CredentialProviderFactory() {
        @Override
        public Set<String> sources() {
          return Set.of("test-lease");
        }

        @Override
        public InMemoryCredentialProvider create(String name, String source,
            io.github.rotate4j.spring.boot.Rotate4jProperties.Credential settings) {
          return name.equals("static-secret") ? staticSecret : leased;
        }
      })
      // No jitter: these tests read ages and states at fixed instants, so the lease's replacement must
      // come at its nominal point (2/3 of the TTL), not at a random instant of the first life.
      .withPropertyValues("rotate4j.credentials.orders-db.source=test-lease",
          "rotate4j.credentials.orders-db.refresh.jitter=0",
          "rotate4j.credentials.orders-db.retry.max-attempts=1",
          "rotate4j.credentials.api-key.source=in-memory", "rotate4j.credentials.api-key.value=k1");

  private static Health memberHealth(HealthContributor composite, String name) {
    return ((HealthIndicator) ((CompositeHealthContributor) composite).getContributor(name)).health();
  }

  @Test
  void health_hasAMemberPerCredential_upWithDetails_neverAValue() {
    runner.run(ctx -> {
      HealthContributor composite = ctx.getBean("rotate4jHealthContributor", HealthContributor.class);
      Health h = memberHealth(composite, "orders-db");
      assertThat(h.getStatus()).isEqualTo(Status.UP);
      assertThat(h.getDetails()).containsEntry("state", "UP").containsEntry("backend", "in-memory")
          .containsKeys("version", "expiresAt", "nextRefresh", "issuedAt", "lastSuccess", "circuit");
      assertThat(h.getDetails().toString()).doesNotContain("pw1");
      assertThat(memberHealth(composite, "api-key").getStatus()).isEqualTo(Status.UP);
    });
  }

  @Test
  void health_degradedWhileServingFromCache_downOnceExpired_neverCallsTheBackend() {
    runner.run(ctx -> {
      HealthContributor composite = ctx.getBean("rotate4jHealthContributor", HealthContributor.class);
      leased.failAlways(FailureKind.TRANSIENT);
      time.advance(Duration.ofMinutes(8));
      int calls = leased.fetchCount();
      Health degraded = memberHealth(composite, "orders-db");
      assertThat(leased.fetchCount()).isEqualTo(calls);
      assertThat(degraded.getStatus()).isEqualTo(Status.UP);
      assertThat(degraded.getDetails()).containsEntry("state", "DEGRADED").containsKey("degraded").containsKey("lastFailure");
      assertThat((Integer) degraded.getDetails().get("consecutiveFailures")).isPositive();

      time.advance(Duration.ofMinutes(3));
      Health down = memberHealth(composite, "orders-db");
      assertThat(down.getStatus()).isEqualTo(Status.DOWN);
      assertThat(down.getDetails()).containsEntry("state", "DOWN");
    });
  }

  @Test
  void health_canBeSwitchedOff() {
    runner.withPropertyValues("management.health.rotate4j.enabled=false")
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("rotate4jHealthContributor").hasSingleBean(CredentialMetrics.class));
  }

  @Test
  void disabled_turnsEveryPartOff() {
    runner.withPropertyValues("rotate4j.enabled=false", "rotate4j.datasource.credential=orders-db")
        .run(ctx -> assertThat(ctx).hasNotFailed()
            .doesNotHaveBean("rotate4jHealthContributor")
            .doesNotHaveBean(CredentialMetrics.class)
            .doesNotHaveBean("rotate4jHikariCredentialsPostProcessor"));
  }

  @Test
  void withoutHealthModule_noHealthContributor() {
    runner.withClassLoader(new FilteredClassLoader(HealthContributor.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("rotate4jHealthContributor")
            .hasSingleBean(CredentialRegistry.class));
  }

  @Test
  void withoutMicrometer_noMetrics() {
    runner.withClassLoader(new FilteredClassLoader(MeterBinder.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(CredentialMetrics.class)
            .hasSingleBean(CredentialRegistry.class));
  }

  @Test
  void withoutHikari_noDataSourceBinding() {
    runner.withClassLoader(new FilteredClassLoader(com.zaxxer.hikari.HikariDataSource.class))
        .withPropertyValues("rotate4j.datasource.credential=orders-db")
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("rotate4jHikariCredentialsPostProcessor"));
  }

  @Test
  void metrics_areBoundToTheMeterRegistry_taggedByCredentialAndBackend() {
    runner.run(ctx -> {
      MeterRegistry meters = new SimpleMeterRegistry();
      ctx.getBean(CredentialMetrics.class).bindTo(meters);
      assertThat(meters.get("rotate4j.credential.state").tags("credential", "orders-db", "backend", "in-memory", "state", "up")
          .gauge().value()).isEqualTo(1.0);
      assertThat(meters.get("rotate4j.rotations").tags("credential", "api-key").functionCounter().count()).isZero();
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags())
          .extracting(io.micrometer.core.instrument.Tag::getKey)
          .isSubsetOf("credential", "backend", "state", "outcome", "slot"));
    });
  }

  @Test
  void metrics_followRefreshesRotationsMatchesAndOverdue() {
    runner.run(ctx -> {
      MeterRegistry meters = new SimpleMeterRegistry();
      new CredentialMetrics(ctx.getBean(CredentialRegistry.class), n -> "in-memory", time.clock()).bindTo(meters);
      RotatingCredential db = ctx.getBean("orders-db", RotatingCredential.class);
      String[] tags = {"credential", "orders-db", "backend", "in-memory"};

      assertThat(meters.get("rotate4j.credential.expiry.remaining").tags(tags).gauge().value()).isEqualTo(600.0);
      time.advance(Duration.ofSeconds(30));
      assertThat(meters.get("rotate4j.credential.age").tags(tags).gauge().value()).isEqualTo(30.0);
      assertThat(meters.get("rotate4j.refresh").tags(tags).tag("outcome", "success").functionCounter().count()).isEqualTo(1.0);

      leased.rotate("pw2");
      db.refreshNow().join();
      assertThat(meters.get("rotate4j.rotations").tags(tags).functionCounter().count()).isEqualTo(1.0);
      assertThat(db.verify("pw1")).isPresent();
      assertThat(db.verify("pw2")).isPresent();
      assertThat(meters.get("rotate4j.keyring.match").tags(tags).tag("slot", "previous").functionCounter().count()).isEqualTo(1.0);
      assertThat(meters.get("rotate4j.keyring.match").tags(tags).tag("slot", "current").functionCounter().count()).isEqualTo(1.0);
      assertThat(meters.get("rotate4j.keyring.grace.remaining").tags(tags).gauge().value()).isPositive();

      leased.failAlways(FailureKind.TRANSIENT);
      time.advance(Duration.ofSeconds(1)); // past the on-demand refresh rate limit (one per second)
      CompletableFuture<?> failing = db.refreshNow();
      assertThat(failing).as("one attempt allowed: the refresh fails at once").isCompletedExceptionally();
      assertThat(meters.get("rotate4j.refresh").tags(tags).tag("outcome", "failure").functionCounter().count()).isPositive();
      assertThat(meters.get("rotate4j.refresh.consecutive.failures").tags(tags).gauge().value()).isPositive();
      leased.recover();

      assertThat(meters.get("rotate4j.rotation.overdue").tags(tags).gauge().value()).isZero();
      assertThat(meters.get("rotate4j.circuit.state").tags(tags).tag("state", "closed").gauge().value()).isEqualTo(1.0);
    });
  }

  @Test
  void autoConfiguredMetrics_runOnTheClockACustomizerGaveTheRegistry() {
    runner.run(ctx -> {
      MeterRegistry meters = new SimpleMeterRegistry();
      ctx.getBean(CredentialMetrics.class).bindTo(meters);
      time.advance(Duration.ofSeconds(30));
      String[] tags = {"credential", "orders-db"};
      assertThat(meters.get("rotate4j.credential.age").tags(tags).gauge().value()).isEqualTo(30.0);
      assertThat(meters.get("rotate4j.credential.expiry.remaining").tags(tags).gauge().value()).isEqualTo(570.0);
    });
  }

  @Test
  void metrics_overdueStaticSecret() {
    staticSecret.nextRotation(time.now().minus(Duration.ofSeconds(90)));
    runner.withPropertyValues("rotate4j.credentials.static-secret.source=test-lease").run(ctx -> {
      MeterRegistry meters = new SimpleMeterRegistry();
      new CredentialMetrics(ctx.getBean(CredentialRegistry.class), n -> "in-memory", time.clock()).bindTo(meters);
      String[] tags = {"credential", "static-secret", "backend", "in-memory"};
      assertThat(meters.get("rotate4j.rotation.overdue").tags(tags).gauge().value()).isEqualTo(1.0);
      assertThat(meters.get("rotate4j.rotation.overdue.duration").tags(tags).gauge().value()).isEqualTo(90.0);
    });
  }
}
