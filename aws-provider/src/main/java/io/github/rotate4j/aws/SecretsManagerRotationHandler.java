package io.github.rotate4j.aws;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.IssuedKey;
import io.github.rotate4j.rotation.KeyIssuer;
import io.github.rotate4j.rotation.KeyVerifier;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.UsageProbe;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * Secrets Manager's four-step rotation protocol ({@code createSecret}, {@code setSecret},
 * {@code testSecret}, {@code finishSecret}) for a key issued by a {@link KeyIssuer}, for a rotation
 * Lambda function. A plain class: it needs no Lambda library; pass it the event as a map.
 *
 * <pre>{@code
 * public class RotatePaymentsKey implements RequestHandler<Map<String, String>, Void> {
 *   private static final SecretsManagerRotationHandler HANDLER = SecretsManagerRotationHandler
 *       .builder(SecretsManagerClient.create(), new PaymentsKeyIssuer())
 *       .verifier(key -> PaymentsApi.ping(key))
 *       .build();
 *
 *   public Void handleRequest(Map<String, String> event, Context context) {
 *     HANDLER.handle(event);
 *     return null;
 *   }
 * }
 * }</pre>
 *
 * <p>Guards, as in AWS's own rotation templates: rotation must be enabled on the secret; the token
 * must name a version of the secret (except for {@code createSecret}, which creates it when
 * Secrets Manager has not); a version already {@code AWSCURRENT} means the step is done; a version
 * that is not {@code AWSPENDING} fails the step. Every step can be repeated.
 *
 * <ul>
 *   <li>{@code createSecret}: issues a key labelled with the token and stores it as
 *       {@code AWSPENDING} (version id = token); keys a stopped earlier attempt left for the same
 *       token are revoked first.
 *   <li>{@code setSecret}: nothing; the issuing service knows the key already.
 *   <li>{@code testSecret}: verifies the pending key; on failure revokes it, removes
 *       {@code AWSPENDING} and fails the step, so nothing pending is left behind.
 *   <li>{@code finishSecret}: revokes the key leaving {@code AWSPREVIOUS} (the old key had the whole
 *       rotation interval as its grace window) when the usage probe says unused, else logs an error
 *       and keeps it; then moves {@code AWSCURRENT} to the new version.
 * </ul>
 *
 * <p>Key ids are kept in the secret's tags {@value #CURRENT_KEY_ID}, {@value #PREVIOUS_KEY_ID} and
 * {@value #PENDING_KEY_ID}. The Lambda role needs {@code DescribeSecret}, {@code GetSecretValue},
 * {@code PutSecretValue}, {@code UpdateSecretVersionStage}, {@code TagResource} and
 * {@code UntagResource} on the secret. Thread-safe.
 */
public final class SecretsManagerRotationHandler {

  /** Tag: the issuer's id of the AWSCURRENT key. */
  public static final String CURRENT_KEY_ID = "rotation_current_key_id";
  /** Tag: the issuer's id of the AWSPREVIOUS key. */
  public static final String PREVIOUS_KEY_ID = "rotation_previous_key_id";
  /** Tag: the issuer's id of the AWSPENDING key. */
  public static final String PENDING_KEY_ID = "rotation_pending_key_id";

  private static final Logger LOG = LoggerFactory.getLogger(SecretsManagerRotationHandler.class);

  private final SecretsManagerClient client;
  private final KeyIssuer issuer;
  private final KeyVerifier verifier;
  private final UsageProbe usageProbe;
  private final Clock clock;

  private SecretsManagerRotationHandler(Builder b) {
    this.client = b.client;
    this.issuer = b.issuer;
    this.verifier = Objects.requireNonNull(b.verifier, "a verifier must be set (KeyVerifier.none() to skip it explicitly)");
    this.usageProbe = b.usageProbe != null ? b.usageProbe
        : b.issuer.reportsLastUse() ? UsageProbe.issuerLastUse(b.issuer, java.time.Duration.ofHours(1))
        : UsageProbe.afterTime(java.time.Duration.ZERO);
    this.clock = b.clock;
  }

  /** A handler storing keys from {@code issuer} through {@code client}. */
  public static Builder builder(SecretsManagerClient client, KeyIssuer issuer) {
    return new Builder(client, issuer);
  }

  /**
   * Handles a rotation event as Secrets Manager sends it to a Lambda function: {@code Step},
   * {@code SecretId}, {@code ClientRequestToken}.
   *
   * @throws IllegalArgumentException when a field is missing
   * @throws RotationException when a guard refuses the step or the step fails (Secrets Manager then
   *     retries or marks the rotation failed)
   */
  public void handle(Map<String, ?> event) {
    Objects.requireNonNull(event, "event");
    handle(field(event, "Step"), field(event, "SecretId"), field(event, "ClientRequestToken"));
  }

  private static String field(Map<String, ?> event, String key) {
    Object v = event.get(key);
    if (v == null || v.toString().isBlank()) {
      throw new IllegalArgumentException("the rotation event has no " + key + " (fields: " + event.keySet() + ")");
    }
    return v.toString();
  }

  /**
   * Handles one step.
   *
   * @param step {@code createSecret}, {@code setSecret}, {@code testSecret} or {@code finishSecret}
   * @param secretId the secret's name or ARN
   * @param token the client request token: the new version's id
   */
  public void handle(String step, String secretId, String token) {
    SecretsManagerSecretStore store = SecretsManagerSecretStore.of(client, secretId);
    String name = store.describe();
    SecretsManagerSecretStore.Described d = store.describeSecret();
    DescribeSecretResponse raw = d.raw();
    if (!Boolean.TRUE.equals(raw.rotationEnabled())) {
      throw new RotationException(name, token, "rotation is not enabled for the secret", null);
    }
    List<String> stages = d.stages().get(token);
    if (stages == null && !step.equals("createSecret")) {
      throw new RotationException(name, token, "version " + token + " has no stage for rotation of the secret", null);
    }
    if (stages != null && stages.contains(AwsSecretsManagerProvider.AWSCURRENT)) {
      LOG.info("{}: version {} is already AWSCURRENT; {} has nothing to do", name, token, step);
      return;
    }
    if (stages != null && !stages.contains(AwsSecretsManagerProvider.AWSPENDING)) {
      throw new RotationException(name, token, "version " + token + " is not AWSPENDING for rotation of the secret", null);
    }
    switch (step) {
      case "createSecret" -> createSecret(store, d, token);
      case "setSecret" -> LOG.info("{}: setSecret for {}: the issuing service holds the key already", name, token);
      case "testSecret" -> testSecret(store, d, token);
      case "finishSecret" -> finishSecret(store, d, token);
      default -> throw new IllegalArgumentException("unknown rotation step '" + step
          + "'; expected createSecret, setSecret, testSecret or finishSecret");
    }
  }

  private Optional<SecretValue> pendingValue(SecretsManagerSecretStore store, String secretId, String token) {
    try {
      GetSecretValueResponse v = client.getSecretValue(r -> r.secretId(secretId).versionId(token)
          .versionStage(AwsSecretsManagerProvider.AWSPENDING));
      return v.secretString() == null && v.secretBinary() == null ? Optional.empty() : Optional.of(store.value(token));
    } catch (ResourceNotFoundException e) {
      return Optional.empty();
    }
  }

  private void createSecret(SecretsManagerSecretStore store, SecretsManagerSecretStore.Described d, String token) {
    String secretId = d.raw().arn() != null ? d.raw().arn() : d.raw().name();
    if (d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).isEmpty()) {
      throw new RotationException(store.describe(), token, "no version is AWSCURRENT", null);
    }
    Optional<SecretValue> existing = pendingValue(store, secretId, token);
    if (existing.isPresent()) {
      if (!d.tags().containsKey(PENDING_KEY_ID)) {
        keyIdOf(existing.get(), token).ifPresent(id -> tag(secretId, Map.of(PENDING_KEY_ID, id)));
      }
      LOG.info("{}: createSecret for {}: the pending key exists already", store.describe(), token);
      return;
    }
    for (String orphan : issuer.keysIssuedFor(token)) {
      issuer.revoke(orphan);
      LOG.info("{}: revoked key {} left by an earlier createSecret for {}", store.describe(), orphan, token);
    }
    IssuedKey issued = issuer.issue(token);
    try {
      client.putSecretValue(r -> {
        r.secretId(secretId).clientRequestToken(token).versionStages(AwsSecretsManagerProvider.AWSPENDING);
        if (issued.value() instanceof SecretValue.Binary b) {
          r.secretBinary(software.amazon.awssdk.core.SdkBytes.fromByteArray(b.value()));
        } else if (issued.value() instanceof SecretValue.Text t) {
          r.secretString(t.value());
        } else {
          throw new IllegalArgumentException("the issuer returned a " + issued.value() + "; return text or bytes");
        }
      });
    } catch (RuntimeException e) {
      issuer.revoke(issued.keyId());
      throw e;
    }
    tag(secretId, Map.of(PENDING_KEY_ID, issued.keyId()));
    if (!d.tags().containsKey(CURRENT_KEY_ID)) {
      String current = d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).orElseThrow();
      keyIdOf(store.value(current), null).ifPresent(id -> tag(secretId, Map.of(CURRENT_KEY_ID, id)));
    }
    LOG.info("{}: createSecret: key {} staged as AWSPENDING version {}", store.describe(), issued.keyId(), token);
  }

  private Optional<String> keyIdOf(SecretValue value, @Nullable String token) {
    Optional<String> id = issuer.keyIdOf(value);
    if (id.isEmpty() && token != null) {
      List<String> listed = issuer.keysIssuedFor(token);
      if (listed.size() == 1) {
        id = Optional.of(listed.get(0));
      }
    }
    return id;
  }

  private void testSecret(SecretsManagerSecretStore store, SecretsManagerSecretStore.Described d, String token) {
    String secretId = d.raw().arn() != null ? d.raw().arn() : d.raw().name();
    SecretValue pending = pendingValue(store, secretId, token).orElseThrow(() ->
        new RotationException(store.describe(), token, "version " + token + " has no value", null));
    try {
      verifier.verify(pending);
    } catch (RuntimeException e) {
      List<String> keyIds = new ArrayList<>();
      Optional.ofNullable(d.tags().get(PENDING_KEY_ID)).ifPresent(keyIds::add);
      issuer.keysIssuedFor(token).stream().filter(id -> !keyIds.contains(id)).forEach(keyIds::add);
      keyIds.forEach(issuer::revoke);
      client.updateSecretVersionStage(r -> r.secretId(secretId).versionStage(AwsSecretsManagerProvider.AWSPENDING)
          .removeFromVersionId(token));
      client.untagResource(r -> r.secretId(secretId).tagKeys(PENDING_KEY_ID));
      LOG.error("{}: testSecret: the new key failed verification ({}); revoked {} and removed AWSPENDING",
          store.describe(), e.toString(), keyIds);
      throw new RotationException(store.describe(), token,
          "the new key failed verification: " + e + "; it was revoked and is no longer pending", e);
    }
    LOG.info("{}: testSecret: version {} works", store.describe(), token);
  }

  private void finishSecret(SecretsManagerSecretStore store, SecretsManagerSecretStore.Described d, String token) {
    String secretId = d.raw().arn() != null ? d.raw().arn() : d.raw().name();
    String current = d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).orElseThrow();
    Instant now = clock.instant();
    Optional<String> previousVersion = d.versionWith(AwsSecretsManagerProvider.AWSPREVIOUS).filter(v -> !v.equals(current));
    String previousKeyId = d.tags().get(PREVIOUS_KEY_ID);
    if (previousVersion.isPresent() && previousKeyId != null && !previousKeyId.isEmpty()) {
      Instant promotedAt = Optional.ofNullable(d.tags().get(SecretsManagerSecretStore.ROTATED_AT)).map(Instant::parse)
          .or(() -> Optional.ofNullable(d.raw().lastRotatedDate())).orElse(Instant.EPOCH);
      UsageProbe.Usage usage;
      try {
        usage = usageProbe.check(new UsageProbe.OldKey(previousVersion.get(), Optional.of(previousKeyId), promotedAt), now);
      } catch (RuntimeException e) {
        usage = UsageProbe.Usage.unknown("the usage probe failed: " + e);
      }
      if (usage.verdict() == UsageProbe.Verdict.UNUSED) {
        issuer.revoke(previousKeyId);
        LOG.info("{}: finishSecret: revoked key {} of version {} leaving AWSPREVIOUS", store.describe(), previousKeyId,
            previousVersion.get());
      } else {
        LOG.error("{}: finishSecret: key {} of version {} leaves AWSPREVIOUS but is NOT revoked: {}; revoke it by hand",
            store.describe(), previousKeyId, previousVersion.get(), usage.detail());
      }
    }
    client.updateSecretVersionStage(r -> r.secretId(secretId).versionStage(AwsSecretsManagerProvider.AWSCURRENT)
        .moveToVersionId(token).removeFromVersionId(current));
    // Secrets Manager drops AWSPENDING after a successful finishSecret; do it here too, so that a
    // consumer never sees the current key as pending as well
    client.updateSecretVersionStage(r -> r.secretId(secretId).versionStage(AwsSecretsManagerProvider.AWSPENDING)
        .removeFromVersionId(token));
    Map<String, String> tags = new java.util.LinkedHashMap<>();
    tags.put(SecretsManagerSecretStore.ROTATED_AT, now.toString());
    tags.put(PREVIOUS_KEY_ID, d.tags().getOrDefault(CURRENT_KEY_ID, ""));
    tags.put(CURRENT_KEY_ID, d.tags().getOrDefault(PENDING_KEY_ID, ""));
    tag(secretId, tags);
    client.untagResource(r -> r.secretId(secretId).tagKeys(PENDING_KEY_ID));
    LOG.info("{}: finishSecret: version {} is AWSCURRENT", store.describe(), token);
  }

  private void tag(String secretId, Map<String, String> tags) {
    List<Tag> list = new ArrayList<>();
    tags.forEach((k, v) -> list.add(Tag.builder().key(k).value(SecretsManagerSecretStore.tagValue(v)).build()));
    client.tagResource(r -> r.secretId(secretId).tags(list));
  }

  /** Builds a {@link SecretsManagerRotationHandler}. Not thread-safe. */
  public static final class Builder {
    private final SecretsManagerClient client;
    private final KeyIssuer issuer;
    private @Nullable KeyVerifier verifier;
    private @Nullable UsageProbe usageProbe;
    private Clock clock = Clock.systemUTC();

    private Builder(SecretsManagerClient client, KeyIssuer issuer) {
      this.client = Objects.requireNonNull(client, "client");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
    }

    /** Checks the new key in {@code testSecret}. Required. */
    public Builder verifier(KeyVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      return this;
    }

    /**
     * Decides in {@code finishSecret} whether the key leaving AWSPREVIOUS is unused. Default: the
     * issuer's last use (quiet for an hour) when it reports it, else time alone.
     */
    public Builder usageProbe(UsageProbe usageProbe) {
      this.usageProbe = Objects.requireNonNull(usageProbe, "usageProbe");
      return this;
    }

    /** The clock for {@code rotated_at}. Default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** @throws NullPointerException when no verifier was set */
    public SecretsManagerRotationHandler build() {
      return new SecretsManagerRotationHandler(this);
    }
  }
}
