package io.github.rotate4j.spring.boot.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.rotate4j.spring.boot.Rotate4jAutoConfiguration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

class Rotate4jDataSourceAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(Rotate4jAutoConfiguration.class,
          Rotate4jDataSourceAutoConfiguration.class, DataSourceAutoConfiguration.class))
      .withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:9/orders",
          "rotate4j.credentials.orders-db.source=in-memory", "rotate4j.credentials.orders-db.value=unused");

  @Test
  void credentialWithoutUsernameAndPassword_failsStartup() {
    runner.withPropertyValues("rotate4j.datasource.credential=orders-db")
        .run(ctx -> assertThat(ctx).getFailure()
            .hasStackTraceContaining("credential 'orders-db' cannot log in a connection pool: its value has no username and password"));
  }

  @Test
  void credentialWithUsernameAndPassword_isBoundBeforeThePoolStarts() {
    runner.withPropertyValues("rotate4j.datasource.credential=db",
            "rotate4j.credentials.db.source=file",
            "rotate4j.credentials.db.format=username-password",
            "rotate4j.credentials.db.path=" + Rotate4jDataSourceAutoConfigurationTest.class.getResource("/db.properties").getPath())
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          DataSource ds = ctx.getBean(DataSource.class);
          assertThat(ds).isExactlyInstanceOf(HikariDataSource.class);
          HikariDataSource pool = (HikariDataSource) ds;
          assertThat(pool.isRunning()).isFalse();
          assertThat(pool.getCredentialsProvider()).isInstanceOf(RotatingHikariCredentials.class);
          assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("app");
          assertThat(ctx.getBeanFactory().getDependentBeans("db")).contains("dataSource");
        });
  }

  @Test
  void unknownCredential_failsStartupNamingTheProperty() {
    runner.withPropertyValues("rotate4j.datasource.credential=nope")
        .run(ctx -> assertThat(ctx).getFailure().hasMessageContaining("rotate4j.datasource.credential: no credential named 'nope'"));
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void propertyWithoutAHikariPool_warns(CapturedOutput output) {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(Rotate4jAutoConfiguration.class, Rotate4jDataSourceAutoConfiguration.class))
        .withPropertyValues("rotate4j.credentials.db.source=in-memory", "rotate4j.credentials.db.value=v",
            "rotate4j.datasource.credential=db")
        .run(ctx -> assertThat(ctx).hasNotFailed());
    assertThat(output).contains("rotate4j.datasource.credential=db is set, but no HikariCP DataSource bean was found");
  }

  @Test
  void withoutTheProperty_thePoolIsLeftAlone() {
    runner.run(ctx -> {
      assertThat(ctx).doesNotHaveBean("rotate4jHikariCredentialsPostProcessor");
      assertThat(ctx.getBean(HikariDataSource.class).getCredentialsProvider()).isNull();
    });
  }
}
