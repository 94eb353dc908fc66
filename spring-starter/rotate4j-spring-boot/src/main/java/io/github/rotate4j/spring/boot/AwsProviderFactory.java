package io.github.rotate4j.spring.boot;

import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import io.github.rotate4j.aws.SecretFormat;
import io.github.rotate4j.spi.CredentialProvider;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** Source {@code aws}: AWS Secrets Manager, one provider (and SDK client) per credential. */
final class AwsProviderFactory implements CredentialProviderFactory {

  static final List<String> FORMATS = List.of("auto", "string", "json", "binary", "username-password");

  private final Rotate4jProperties.Aws aws;
  private final List<AwsSecretsManagerProviderCustomizer> customizers;

  AwsProviderFactory(Rotate4jProperties.Aws aws, List<AwsSecretsManagerProviderCustomizer> customizers) {
    this.aws = aws;
    this.customizers = customizers;
  }

  @Override
  public Set<String> sources() {
    return Set.of("aws");
  }

  @Override
  public CredentialProvider create(String name, String source, Rotate4jProperties.Credential c) {
    String secretId = c.getSecretId() != null ? c.getSecretId() : c.getPath();
    if (secretId == null || secretId.isBlank()) {
      throw new SettingException(CredentialSettings.property(name, "secret-id"), "must be set for source aws (the secret's name or ARN)");
    }
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder(secretId);
    String format = CredentialSettings.oneOf(name, "format", c.getFormat(), FORMATS, null);
    if (format != null) {
      b.format(SecretFormat.valueOf(format.replace('-', '_').toUpperCase(Locale.ROOT)));
    }
    if (aws.getRegion() != null) {
      b.region(aws.getRegion());
    }
    if (aws.getEndpoint() != null) {
      URI endpoint;
      try {
        endpoint = URI.create(aws.getEndpoint());
      } catch (IllegalArgumentException e) {
        throw new SettingException("rotate4j.aws.endpoint", "'" + aws.getEndpoint() + "' is not a URI", e);
      }
      b.endpointOverride(endpoint);
    }
    if (aws.getApiCallTimeout() != null) {
      b.apiCallTimeout(aws.getApiCallTimeout());
    }
    if (aws.getConnectTimeout() != null) {
      b.connectTimeout(aws.getConnectTimeout());
    }
    Rotate4jProperties.StaticCredentials keys = aws.getCredentials();
    if (keys.getAccessKeyId() != null || keys.getSecretAccessKey() != null) {
      if (keys.getAccessKeyId() == null || keys.getSecretAccessKey() == null) {
        throw new SettingException("rotate4j.aws.credentials",
            "access-key-id and secret-access-key must be set together (or neither, for the SDK's default chain)");
      }
      b.credentialsProvider(StaticCredentialsProvider.create(keys.getSessionToken() != null
          ? AwsSessionCredentials.create(keys.getAccessKeyId(), keys.getSecretAccessKey(), keys.getSessionToken())
          : AwsBasicCredentials.create(keys.getAccessKeyId(), keys.getSecretAccessKey())));
    }
    customizers.forEach(cz -> cz.customize(name, b));
    return b.build();
  }
}
