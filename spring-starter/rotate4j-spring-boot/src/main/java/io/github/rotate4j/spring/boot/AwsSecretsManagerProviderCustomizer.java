package io.github.rotate4j.spring.boot;

import io.github.rotate4j.aws.AwsSecretsManagerProvider;

/**
 * Adjusts each AWS Secrets Manager provider after {@code rotate4j.aws.*} and the credential's own
 * settings were applied, e.g. to pass an SDK client or an HTTP client.
 */
@FunctionalInterface
public interface AwsSecretsManagerProviderCustomizer {

  /**
   * @param name the credential's name
   * @param builder its provider's builder
   */
  void customize(String name, AwsSecretsManagerProvider.Builder builder);
}
