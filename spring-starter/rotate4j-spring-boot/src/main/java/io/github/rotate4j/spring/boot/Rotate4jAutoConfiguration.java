package io.github.rotate4j.spring.boot;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.vault.VaultSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

/**
 * Creates the credentials configured under {@code rotate4j.credentials}: one {@link
 * CredentialRegistry} bean, started (all credentials in parallel) when it is created, so before any
 * bean that uses it, and closed after them; and one {@link io.github.rotate4j.RotatingCredential}
 * bean per credential, injectable by name ({@code @Qualifier("orders-db") RotatingCredential}).
 *
 * <p>Off with {@code rotate4j.enabled=false}. Every bean backs off when the application defines its
 * own. The Vault, AWS and in-memory sources turn on when their libraries are on the class path.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "rotate4j", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(Rotate4jProperties.class)
public class Rotate4jAutoConfiguration {

  /** Every source the starter knows, and the library each needs. */
  static final Map<String, String> SOURCES = sources();

  private static Map<String, String> sources() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("vault-kv", "io.github.rotate4j:rotate4j-vault");
    m.put("vault-lease", "io.github.rotate4j:rotate4j-vault");
    m.put("vault-static-role", "io.github.rotate4j:rotate4j-vault");
    m.put("aws", "io.github.rotate4j:rotate4j-aws");
    m.put("file", "io.github.rotate4j:rotate4j-core");
    m.put("in-memory", "io.github.rotate4j:rotate4j-test");
    return m;
  }

  /** The registry's clock, for the providers that are built before the registry (AWS, in-memory). */
  @Bean
  static RegistryClock rotate4jRegistryClock() {
    return new RegistryClock();
  }

  @Bean
  @ConditionalOnMissingBean(name = "rotate4jFileProviderFactory")
  CredentialProviderFactory rotate4jFileProviderFactory() {
    return new FileProviderFactory();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  CredentialProviders rotate4jCredentialProviders(Rotate4jProperties properties, Environment environment,
      List<CredentialProviderFactory> factories) {
    CredentialSettings.rejectUnknown(environment);
    Map<String, CredentialProviderFactory> bySource = new LinkedHashMap<>();
    factories.forEach(f -> f.sources().forEach(s -> bySource.putIfAbsent(s, f)));
    Set<String> allowed = new TreeSet<>(SOURCES.keySet());
    allowed.addAll(bySource.keySet());
    Map<String, CredentialProvider> providers = new LinkedHashMap<>();
    try {
      properties.getCredentials().forEach((name, settings) -> {
        String key = CredentialSettings.property(name, "source");
        String source = settings.getSource();
        if (source == null || source.isBlank()) {
          throw new SettingException(key, "must be set; allowed values: " + String.join(", ", allowed));
        }
        CredentialProviderFactory factory = bySource.get(source.strip());
        if (factory == null) {
          String library = SOURCES.get(source.strip());
          throw new SettingException(key, library != null
              ? "'" + source + "' needs " + library + " on the class path"
              : "'" + source + "' is not supported; allowed values: " + String.join(", ", allowed));
        }
        providers.put(name, factory.create(name, source.strip(), settings));
      });
    } catch (RuntimeException e) {
      new CredentialProviders(providers).close();
      throw e;
    }
    return new CredentialProviders(providers);
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  CredentialRegistry rotate4jCredentialRegistry(CredentialProviders providers, Rotate4jProperties properties,
      ObjectProvider<CredentialRegistryCustomizer> registryCustomizers,
      ObjectProvider<RotatingCredentialBuilderCustomizer> credentialCustomizers, RegistryClock registryClock) {
    CredentialRegistry.Builder builder = CredentialRegistry.builder();
    registryCustomizers.orderedStream().forEach(c -> c.customize(builder));
    List<RotatingCredentialBuilderCustomizer> customizers = credentialCustomizers.orderedStream().toList();
    providers.asMap().forEach((name, provider) -> builder.register(name, provider, b -> {
      CredentialSettings.apply(name, properties.getCredentials().get(name), b);
      customizers.forEach(c -> c.customize(name, b));
    }));
    CredentialRegistry registry;
    try {
      registry = builder.build();
    } catch (RuntimeException e) {
      providers.close();
      throw e;
    }
    registryClock.follow(registry.clock()); // before the first fetch
    try {
      return registry.start();
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
  }

  @Bean
  @ConditionalOnMissingBean
  static CredentialBeanRegistrar rotate4jCredentialBeanRegistrar() {
    return new CredentialBeanRegistrar();
  }

  /** Sources {@code vault-kv}, {@code vault-lease} and {@code vault-static-role}, when rotate4j-vault is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(VaultSession.class)
  static class VaultConfiguration {

    /** Created on first use only, so an application without a Vault credential needs no Vault address. */
    @Bean(destroyMethod = "close")
    @Lazy
    @ConditionalOnMissingBean
    VaultSession rotate4jVaultSession(Rotate4jProperties properties, ObjectProvider<VaultSessionBuilderCustomizer> customizers) {
      return VaultSessionFactory.create(properties.getVault(), customizers.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean(name = "rotate4jVaultProviderFactory")
    CredentialProviderFactory rotate4jVaultProviderFactory(ObjectProvider<VaultSession> session) {
      return new VaultProviderFactory(session::getObject);
    }
  }

  /** Source {@code aws}, when rotate4j-aws is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(AwsSecretsManagerProvider.class)
  static class AwsConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "rotate4jAwsProviderFactory")
    CredentialProviderFactory rotate4jAwsProviderFactory(Rotate4jProperties properties,
        ObjectProvider<AwsSecretsManagerProviderCustomizer> customizers,
        ObjectProvider<software.amazon.awssdk.services.secretsmanager.SecretsManagerClient> client,
        RegistryClock registryClock) {
      return new AwsProviderFactory(properties.getAws(), customizers.orderedStream().toList(), client::getIfUnique,
          registryClock.clock());
    }
  }

  /** Source {@code in-memory}, when rotate4j-test is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(InMemoryCredentialProvider.class)
  static class InMemoryConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "rotate4jInMemoryProviderFactory")
    CredentialProviderFactory rotate4jInMemoryProviderFactory(RegistryClock registryClock) {
      return new InMemoryProviderFactory(registryClock.clock());
    }
  }
}
