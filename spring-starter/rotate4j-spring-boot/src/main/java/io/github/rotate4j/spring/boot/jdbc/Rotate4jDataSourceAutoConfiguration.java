package io.github.rotate4j.spring.boot.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.github.rotate4j.spring.boot.Rotate4jAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * With {@code rotate4j.datasource.credential=<name>}, Spring Boot's HikariCP {@code DataSource} logs
 * in with that credential and follows its rotations ({@link RotatingHikariCredentials}); the bean
 * stays Boot's {@link HikariDataSource}, so its pool metrics and health keep working.
 */
@AutoConfiguration(after = Rotate4jAutoConfiguration.class)
@ConditionalOnClass(HikariDataSource.class)
@ConditionalOnProperty(prefix = "rotate4j", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnProperty(prefix = "rotate4j.datasource", name = "credential")
public class Rotate4jDataSourceAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  static HikariCredentialsPostProcessor rotate4jHikariCredentialsPostProcessor(Environment environment) {
    return new HikariCredentialsPostProcessor(environment.getRequiredProperty("rotate4j.datasource.credential"));
  }
}
