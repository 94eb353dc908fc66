package io.github.rotate4j.spring.boot;

import io.github.rotate4j.aws.AwsSecretsManagerProvider;

/**
 * Adjusts each AWS Secrets Manager provider after the credential's own settings were applied. The
 * builder already holds the client every {@code aws} credential shares (the application's
 * {@code SecretsManagerClient} bean, or one built from {@code rotate4j.aws.*}): to read through a
 * client of your own, declare it as a bean rather than passing it here.
 */
@FunctionalInterface
public interface AwsSecretsManagerProviderCustomizer {

  /**
   * @param name the credential's name
   * @param builder its provider's builder
   */
  void customize(String name, AwsSecretsManagerProvider.Builder builder);
}
