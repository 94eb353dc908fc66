package io.github.rotate4j.spring.boot.actuate;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.spring.boot.CredentialProviders;
import io.github.rotate4j.spring.boot.Rotate4jAutoConfiguration;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters of every credential ({@link CredentialMetrics}), bound by Spring Boot to every
 * meter registry, e.g. Prometheus at {@code /actuator/prometheus}. Off when Micrometer is not on the
 * class path.
 */
@AutoConfiguration(after = Rotate4jAutoConfiguration.class)
@ConditionalOnClass(MeterBinder.class)
@ConditionalOnBean(CredentialRegistry.class)
public class Rotate4jMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  CredentialMetrics rotate4jCredentialMetrics(CredentialRegistry registry, ObjectProvider<CredentialProviders> providers) {
    CredentialProviders known = providers.getIfAvailable(() -> new CredentialProviders(Map.of()));
    return new CredentialMetrics(registry, name -> known.backendId(name).orElse("unknown"), registry.clock());
  }
}
