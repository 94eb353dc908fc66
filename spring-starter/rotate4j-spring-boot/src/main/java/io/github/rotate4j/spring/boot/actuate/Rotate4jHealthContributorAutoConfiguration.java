package io.github.rotate4j.spring.boot.actuate;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.spring.boot.CredentialProviders;
import io.github.rotate4j.spring.boot.Rotate4jAutoConfiguration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health: one composite contributor {@code rotate4j} with a member per credential (see
 * {@link CredentialHealthIndicator}). Off with {@code management.health.rotate4j.enabled=false}, or
 * when Spring Boot's health module is not on the class path.
 */
@AutoConfiguration(after = Rotate4jAutoConfiguration.class)
@ConditionalOnClass({HealthContributor.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(CredentialRegistry.class)
@ConditionalOnEnabledHealthIndicator("rotate4j")
public class Rotate4jHealthContributorAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "rotate4jHealthContributor")
  HealthContributor rotate4jHealthContributor(CredentialRegistry registry, ObjectProvider<CredentialProviders> providers) {
    Map<String, HealthContributor> members = new LinkedHashMap<>();
    CredentialProviders known = providers.getIfAvailable(() -> new CredentialProviders(Map.of()));
    for (String name : registry.names()) {
      members.put(name, new CredentialHealthIndicator(registry.get(name), known.backendId(name).orElse("unknown")));
    }
    return CompositeHealthContributor.fromMap(members);
  }
}
