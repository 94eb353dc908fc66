package io.github.rotate4j.spring.boot;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.RotatingCredential;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Registers one {@link RotatingCredential} bean per name under {@code rotate4j.credentials}, named
 * and qualified by that name, taken from the registry. Each depends on the registry bean, so a bean
 * using a credential is destroyed before the credential, and the credential before the registry.
 */
final class CredentialBeanRegistrar implements BeanDefinitionRegistryPostProcessor, EnvironmentAware {

  private Environment environment;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
    Map<String, Rotate4jProperties.Credential> credentials;
    try {
      credentials = Binder.get(environment)
          .bind("rotate4j.credentials", Bindable.mapOf(String.class, Rotate4jProperties.Credential.class))
          .orElse(Map.of());
    } catch (RuntimeException e) {
      return; // the properties bean fails start-up with the binding error
    }
    String[] registries = registry instanceof ListableBeanFactory lbf
        ? lbf.getBeanNamesForType(CredentialRegistry.class, true, false)
        : new String[0];
    BeanFactory beanFactory = (BeanFactory) registry;
    for (String name : credentials.keySet()) {
      RootBeanDefinition definition = new RootBeanDefinition(RotatingCredential.class,
          () -> beanFactory.getBean(CredentialRegistry.class).get(name));
      definition.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
      definition.setDependsOn(registries);
      String beanName = registry.containsBeanDefinition(name) ? "rotate4j.credential." + name : name;
      registry.registerBeanDefinition(beanName, definition);
    }
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {}
}
