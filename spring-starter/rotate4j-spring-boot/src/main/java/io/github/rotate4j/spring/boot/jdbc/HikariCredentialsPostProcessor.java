package io.github.rotate4j.spring.boot.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.github.rotate4j.RotatingCredential;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.core.Ordered;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds every {@link HikariDataSource} bean of the context, before its pool starts, to the credential
 * named by {@code rotate4j.datasource.credential}, and makes the data source depend on that
 * credential so that on shutdown the pool closes first.
 */
final class HikariCredentialsPostProcessor implements BeanPostProcessor, BeanFactoryAware, Ordered, SmartInitializingSingleton {

  private static final Logger log = LoggerFactory.getLogger(HikariCredentialsPostProcessor.class);

  private final String credentialName;
  private ConfigurableListableBeanFactory beanFactory;
  private volatile boolean bound;

  HikariCredentialsPostProcessor(String credentialName) {
    this.credentialName = credentialName;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
  }

  /** After Spring Boot's own post-processors, which may still set the URL or credentials. */
  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    if (bean instanceof HikariDataSource pool && pool.getCredentialsProvider() == null) {
      RotatingCredential credential;
      try {
        credential = BeanFactoryAnnotationUtils.qualifiedBeanOfType(beanFactory, RotatingCredential.class, credentialName);
      } catch (BeansException e) {
        throw new IllegalStateException("rotate4j.datasource.credential: no credential named '" + credentialName
            + "' under rotate4j.credentials (data source bean '" + beanName + "')", e);
      }
      for (String name : beanFactory.getBeanNamesForType(RotatingCredential.class)) {
        if (beanFactory.getBean(name) == credential) {
          beanFactory.registerDependentBean(name, beanName);
        }
      }
      RotatingHikariCredentials.bind(pool, credential);
      bound = true;
    }
    return bean;
  }

  @Override
  public void afterSingletonsInstantiated() {
    if (!bound) {
      log.warn("rotate4j.datasource.credential={} is set, but no HikariCP DataSource bean was found to log in with it "
          + "(another pool type, or a pool started before it could be bound)", credentialName);
    }
  }
}
