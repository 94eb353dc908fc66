package io.github.rotate4j.spring.boot;

import io.github.rotate4j.aws.AwsSecretsManagerProvider;
import io.github.rotate4j.aws.SecretFormat;
import io.github.rotate4j.aws.SecretsManagerChangeWatch;
import io.github.rotate4j.spi.CredentialProvider;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Source {@code aws}: AWS Secrets Manager. Every {@code aws} credential reads through one SDK client,
 * the application's {@code SecretsManagerClient} bean if there is one, else built on first use from
 * {@code rotate4j.aws.*} and closed with the application context (after the credentials, which
 * depend on this factory); with {@code rotate4j.aws.change-watch.enabled} their
 * scheduled polls share one {@link SecretsManagerChangeWatch}.
 */
final class AwsProviderFactory implements CredentialProviderFactory, AutoCloseable {

  static final List<String> FORMATS = List.of("auto", "string", "json", "binary", "username-password");

  private final Rotate4jProperties.Aws aws;
  private final List<AwsSecretsManagerProviderCustomizer> customizers;
  private final Supplier<@Nullable SecretsManagerClient> applicationClient;
  private final Clock clock;
  private @Nullable SecretsManagerClient client; // guarded by this
  private boolean ownsClient; // guarded by this
  private @Nullable SecretsManagerChangeWatch watch; // guarded by this

  AwsProviderFactory(Rotate4jProperties.Aws aws, List<AwsSecretsManagerProviderCustomizer> customizers) {
    this(aws, customizers, () -> null, Clock.systemUTC());
  }

  /**
   * @param applicationClient the application's own {@code SecretsManagerClient} bean, if it has one (it stays open)
   * @param clock the registry's clock: the change watch ages its answers by it, and providers make up
   *     instants with it (a rotation window's checks), so both follow a manual clock in tests
   */
  AwsProviderFactory(Rotate4jProperties.Aws aws, List<AwsSecretsManagerProviderCustomizer> customizers,
      Supplier<@Nullable SecretsManagerClient> applicationClient, Clock clock) {
    this.aws = aws;
    this.customizers = customizers;
    this.applicationClient = applicationClient;
    this.clock = clock;
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
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder(secretId).client(sharedClient());
    SecretsManagerChangeWatch w = sharedWatch();
    if (w != null) {
      b.changeWatch(w);
    }
    String format = CredentialSettings.oneOf(name, "format", c.getFormat(), FORMATS, null);
    if (format != null) {
      b.format(SecretFormat.valueOf(format.replace('-', '_').toUpperCase(Locale.ROOT)));
    }
    customizers.forEach(cz -> cz.customize(name, b));
    try {
      b.clock(clock); // after the customizers: one that gives the provider a clock of its own keeps it
    } catch (IllegalStateException customizerSetIt) {
      // the builder takes a clock once, and a customizer already chose it
    }
    return b.build();
  }

  /**
   * The one client of every {@code aws} credential: the application's {@code SecretsManagerClient}
   * bean if it has one, else built from {@code rotate4j.aws.*} on first use.
   */
  synchronized SecretsManagerClient sharedClient() {
    SecretsManagerClient existing = client;
    if (existing != null) {
      return existing;
    }
    SecretsManagerClient own = applicationClient.get();
    if (own != null) {
      client = own;
      return own;
    }
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder("rotate4j.aws");
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
    SecretsManagerClient built = b.buildClient();
    client = built;
    ownsClient = true;
    return built;
  }

  synchronized @Nullable SecretsManagerChangeWatch sharedWatch() {
    Rotate4jProperties.ChangeWatch settings = aws.getChangeWatch();
    if (!settings.isEnabled()) {
      return null;
    }
    SecretsManagerChangeWatch existing = watch;
    if (existing != null) {
      return existing;
    }
    SecretsManagerChangeWatch.Builder b = SecretsManagerChangeWatch.builder(sharedClient()).clock(clock);
    if (settings.getMaxAge() != null) {
      try {
        b.maxAge(settings.getMaxAge());
      } catch (IllegalArgumentException e) {
        throw new SettingException("rotate4j.aws.change-watch.max-age", e.getMessage(), e);
      }
    }
    SecretsManagerChangeWatch built = b.build();
    watch = built;
    return built;
  }

  /** Closes the shared client, if this factory built it (an application's bean is the application's to close). */
  @Override
  public synchronized void close() {
    SecretsManagerClient c = client;
    boolean owned = ownsClient;
    client = null;
    ownsClient = false;
    watch = null;
    if (c != null && owned) {
      c.close();
    }
  }
}
