package io.github.rotate4j.aws;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationConflictException;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.SecretStore;
import io.github.rotate4j.rotation.StoredKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.protocols.jsoncore.JsonWriter;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * A rotation {@link SecretStore} on an AWS Secrets Manager secret, with Secrets Manager's own
 * staging labels: the new key is written with {@code PutSecretValue} as {@code AWSPENDING}, the
 * rotation id as its {@code ClientRequestToken} (so its version id is the rotation id); promotion
 * moves {@code AWSCURRENT} to it ({@code AWSPREVIOUS} follows to the old version, which consumers
 * keep during the grace window); rollback moves {@code AWSCURRENT} back. The journal,
 * {@code rotated_at} and {@code next_rotation} are tags of the secret.
 *
 * <p>An {@code AWSPENDING} label left on a version by an older rotation that never finished (for
 * example a failed rotation Lambda) is detected and reported by name; it is never overwritten.
 *
 * <p><b>Fencing.</b> Tags have no check-and-set, so journal writes read, check and write; the
 * writes that decide use what AWS checks: a {@code ClientRequestToken} can carry one value only,
 * and moving {@code AWSCURRENT} names the version it must be removed from, so two rotators cannot
 * both promote.
 *
 * <p>Rotation ids must be 32 to 64 characters (AWS's token rule); the default UUIDs are.
 *
 * <p><b>IAM policy for the rotator</b> (consumers need only {@code secretsmanager:GetSecretValue}
 * and {@code secretsmanager:DescribeSecret}):
 *
 * <pre>
 * "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
 *            "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage",
 *            "secretsmanager:TagResource", "secretsmanager:UntagResource"],
 * "Resource": "arn:aws:secretsmanager:REGION:ACCOUNT:secret:payments/api-key-*"
 * </pre>
 *
 * <p>The client is not closed by this store. Thread-safe.
 */
public final class SecretsManagerSecretStore implements SecretStore {

  /** Tag: when the current key was promoted. */
  public static final String ROTATED_AT = "rotated_at";
  /** Tag: when the next rotation is planned. */
  public static final String NEXT_ROTATION = "next_rotation";
  static final String PREVIOUS_ROTATED_AT = "rotation_previous_rotated_at";

  private final SecretsManagerClient client;
  private final String secretId;
  private final String name;

  private SecretsManagerSecretStore(SecretsManagerClient client, String secretId) {
    this.client = Objects.requireNonNull(client, "client");
    this.secretId = Objects.requireNonNull(secretId, "secretId");
    if (secretId.isBlank()) {
      throw new IllegalArgumentException("secretId must not be blank");
    }
    this.name = "aws-secretsmanager " + secretId;
  }

  /** The secret {@code secretId} (name or ARN), through {@code client}. */
  public static SecretsManagerSecretStore of(SecretsManagerClient client, String secretId) {
    return new SecretsManagerSecretStore(client, secretId);
  }

  @Override
  public String describe() {
    return name;
  }

  // ------------------------------------------------------------------ reading

  /** What DescribeSecret says, in the shapes used here. */
  record Described(Map<String, List<String>> stages, Map<String, String> tags, DescribeSecretResponse raw) {
    Optional<String> versionWith(String stage) {
      return stages.entrySet().stream().filter(e -> e.getValue().contains(stage)).map(Map.Entry::getKey).findFirst();
    }
  }

  Described describeSecret() {
    DescribeSecretResponse d;
    try {
      d = client.describeSecret(r -> r.secretId(secretId));
    } catch (ResourceNotFoundException e) {
      throw new RotationException(name, null, "the secret does not exist; create it with its first key by hand", e);
    }
    Map<String, String> tags = new LinkedHashMap<>();
    if (d.hasTags()) {
      d.tags().forEach(t -> tags.put(t.key(), t.value()));
    }
    return new Described(d.hasVersionIdsToStages() ? d.versionIdsToStages() : Map.of(), tags, d);
  }

  SecretValue value(String versionId) {
    GetSecretValueResponse v = client.getSecretValue(r -> r.secretId(secretId).versionId(versionId));
    try {
      return new SecretDecoder(SecretFormat.AUTO)
          .decode(v.secretString(), v.secretBinary() == null ? null : v.secretBinary().asByteArray());
    } catch (SecretDecoder.UndecodableSecretException e) {
      throw new RotationException(name, null, "version " + versionId + ": " + e.getMessage(), null);
    }
  }

  @Override
  public RotationState read() {
    Described d = describeSecret();
    String current = d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).orElseThrow(() ->
        new RotationException(name, null, "no version is AWSCURRENT; create the secret with its first key by hand", null));
    Optional<RotationJournal> journal = journal(d);
    Optional<StoredKey> previous = d.versionWith(AwsSecretsManagerProvider.AWSPREVIOUS)
        .filter(v -> !v.equals(current)).map(v -> StoredKey.of(v, value(v)));
    Optional<StoredKey> pending = d.versionWith(AwsSecretsManagerProvider.AWSPENDING)
        .filter(v -> !v.equals(current)).map(v -> new StoredKey(v, value(v), v));
    return new RotationState(StoredKey.of(current, value(current)), previous, pending, journal,
        instant(d.tags().get(ROTATED_AT)).or(() -> Optional.ofNullable(d.raw().lastRotatedDate())),
        instant(d.tags().get(NEXT_ROTATION)).or(() -> Optional.ofNullable(d.raw().nextRotationDate())));
  }

  private Optional<RotationJournal> journal(Described d) {
    try {
      return RotationJournal.fromMap(d.tags());
    } catch (IllegalArgumentException e) {
      throw new RotationException(name, null, e.getMessage(), null);
    }
  }

  private static Optional<Instant> instant(@Nullable String text) {
    try {
      return Optional.ofNullable(text).map(Instant::parse);
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------ writing

  private void requireHeld(Described d, RotationJournal j, String operation) {
    Optional<RotationJournal> held = journal(d);
    if (held.isEmpty() || !held.get().rotationId().equals(j.rotationId()) || held.get().sequence() != j.sequence()) {
      throw new RotationConflictException(name, j.rotationId(), operation + " refused: the journal held is "
          + held.map(h -> "rotation " + h.rotationId() + " entry " + h.sequence()).orElse("none")
          + ", not entry " + j.sequence());
    }
  }

  /** Tag values allow letters, digits, spaces and {@code _ . : / = + - @}. */
  static String tagValue(String text) {
    return text.replaceAll("[^\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]", " ");
  }

  private void setTags(Map<String, String> set, List<String> remove) {
    List<Tag> tags = new ArrayList<>();
    set.forEach((k, v) -> tags.add(Tag.builder().key(k).value(tagValue(v)).build()));
    if (!tags.isEmpty()) {
      client.tagResource(r -> r.secretId(secretId).tags(tags));
    }
    if (!remove.isEmpty()) {
      client.untagResource(r -> r.secretId(secretId).tagKeys(remove));
    }
  }

  @Override
  public void writeJournal(RotationJournal entry) {
    Described d = describeSecret();
    Optional<RotationJournal> held = journal(d);
    long expected = held.map(RotationJournal::sequence).orElse(0L) + 1;
    boolean same = held.isPresent() && held.get().rotationId().equals(entry.rotationId());
    boolean fresh = (held.isEmpty() || held.get().phase().isTerminal())
        && entry.phase() == RotationPhase.GENERATE && !same;
    if (entry.sequence() != expected || !(same || fresh)) {
      throw new RotationConflictException(name, entry.rotationId(), "journal entry " + entry.sequence() + " ("
          + entry.phase() + ") does not follow the one held: " + held.map(h -> "rotation " + h.rotationId()
              + " entry " + h.sequence() + " (" + h.phase() + ")").orElse("none"));
    }
    Map<String, String> next = entry.toMap();
    List<String> stale = d.tags().keySet().stream()
        .filter(k -> k.startsWith("rotation_") && !k.equals(PREVIOUS_ROTATED_AT) && !next.containsKey(k)).toList();
    setTags(next, stale);
  }

  @Override
  public void stage(RotationJournal j, SecretValue value) {
    if (j.rotationId().length() < 32) {
      throw new RotationException(name, j.rotationId(),
          "AWS needs rotation ids (client request tokens) of 32 to 64 characters", null);
    }
    Described d = describeSecret();
    requireHeld(d, j, "stage");
    Optional<String> pending = d.versionWith(AwsSecretsManagerProvider.AWSPENDING)
        .filter(v -> !java.util.Objects.requireNonNull(d.stages().get(v)).contains(AwsSecretsManagerProvider.AWSCURRENT));
    if (pending.isPresent() && !pending.get().equals(j.rotationId())) {
      throw new RotationException(name, j.rotationId(), "AWSPENDING is on version " + pending.get()
          + ", left by a rotation that never finished; finish or cancel it first (remove the label: "
          + "aws secretsmanager update-secret-version-stage --secret-id " + secretId
          + " --version-stage AWSPENDING --remove-from-version-id " + pending.get() + ")", null);
    }
    if (pending.isPresent()) {
      return; // staged before
    }
    try {
      client.putSecretValue(r -> {
        r.secretId(secretId).clientRequestToken(j.rotationId()).versionStages(AwsSecretsManagerProvider.AWSPENDING);
        if (value instanceof SecretValue.Binary b) {
          r.secretBinary(SdkBytes.fromByteArray(b.value()));
        } else {
          r.secretString(text(value));
        }
      });
    } catch (ResourceExistsException e) {
      throw new RotationConflictException(name, j.rotationId(),
          "version " + j.rotationId() + " exists already with another value");
    }
  }

  private static String text(SecretValue value) {
    if (value instanceof SecretValue.Text t) {
      return t.value();
    }
    Map<String, String> map;
    if (value instanceof SecretValue.KeyValue kv) {
      map = kv.value();
    } else if (value instanceof SecretValue.UsernamePassword up) {
      map = new LinkedHashMap<>(up.attributes());
      map.put("username", up.username());
      map.put("password", up.password());
    } else {
      throw new IllegalArgumentException("unsupported value " + value);
    }
    JsonWriter w = JsonWriter.create();
    w.writeStartObject();
    map.forEach((k, v) -> {
      w.writeFieldName(k);
      w.writeValue(v);
    });
    w.writeEndObject();
    return new String(w.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private void moveStage(String stage, @Nullable String to, String from, RotationJournal j) {
    try {
      client.updateSecretVersionStage(r -> r.secretId(secretId).versionStage(stage).moveToVersionId(to)
          .removeFromVersionId(from));
    } catch (InvalidParameterException e) {
      throw new RotationConflictException(name, j.rotationId(),
          "moving " + stage + (to == null ? "" : " to " + to) + (from == null ? "" : " from " + from)
              + " was refused: the labels changed underneath (" + e.awsErrorDetails().errorMessage() + ")");
    }
  }

  @Override
  public String promote(RotationJournal j) {
    Described d = describeSecret();
    requireHeld(d, j, "promote");
    String current = d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).orElseThrow();
    if (!current.equals(j.rotationId())) {
      List<String> stages = d.stages().getOrDefault(j.rotationId(), List.of());
      if (!stages.contains(AwsSecretsManagerProvider.AWSPENDING)) {
        throw new RotationException(name, j.rotationId(), "no key of this rotation is pending", null);
      }
      if (!current.equals(j.oldVersion())) {
        throw new RotationConflictException(name, j.rotationId(),
            "AWSCURRENT is on version " + current + ", not the rotation's old version " + j.oldVersion());
      }
      moveStage(AwsSecretsManagerProvider.AWSCURRENT, j.rotationId(), j.oldVersion(), j);
      d = describeSecret();
    }
    if (d.stages().getOrDefault(j.rotationId(), List.of()).contains(AwsSecretsManagerProvider.AWSPENDING)) {
      moveStage(AwsSecretsManagerProvider.AWSPENDING, null, j.rotationId(), j);
    }
    Map<String, String> tags = new LinkedHashMap<>();
    String promotedAt = j.promotedAt().orElseThrow().toString();
    String before = d.tags().get(ROTATED_AT);
    if (!promotedAt.equals(before)) {
      tags.put(ROTATED_AT, promotedAt);
      tags.put(PREVIOUS_ROTATED_AT, before == null ? "" : before);
    }
    j.nextRotation().ifPresent(t -> tags.put(NEXT_ROTATION, t.toString()));
    setTags(tags, List.of());
    return j.rotationId();
  }

  @Override
  public void discardPending(RotationJournal j) {
    Described d = describeSecret();
    requireHeld(d, j, "discardPending");
    List<String> stages = d.stages().getOrDefault(j.rotationId(), List.of());
    if (stages.contains(AwsSecretsManagerProvider.AWSPENDING) && !stages.contains(AwsSecretsManagerProvider.AWSCURRENT)) {
      moveStage(AwsSecretsManagerProvider.AWSPENDING, null, j.rotationId(), j);
    }
  }

  @Override
  public String restorePrevious(RotationJournal j) {
    Described d = describeSecret();
    requireHeld(d, j, "restorePrevious");
    String current = d.versionWith(AwsSecretsManagerProvider.AWSCURRENT).orElseThrow();
    if (current.equals(j.rotationId())) {
      if (!d.stages().containsKey(j.oldVersion())) {
        throw new RotationException(name, j.rotationId(), "the old version " + j.oldVersion() + " is gone", null);
      }
      moveStage(AwsSecretsManagerProvider.AWSCURRENT, j.oldVersion(), j.rotationId(), j);
      String before = d.tags().get(PREVIOUS_ROTATED_AT);
      if (before == null || before.isEmpty()) {
        setTags(Map.of(), List.of(ROTATED_AT, PREVIOUS_ROTATED_AT));
      } else {
        setTags(Map.of(ROTATED_AT, before), List.of(PREVIOUS_ROTATED_AT));
      }
      return j.oldVersion();
    }
    return current;
  }

  @Override
  public void retirePrevious(RotationJournal j) {
    Described d = describeSecret();
    requireHeld(d, j, "retirePrevious");
    List<String> stages = d.stages().getOrDefault(j.oldVersion(), List.of());
    if (stages.contains(AwsSecretsManagerProvider.AWSPREVIOUS)) {
      moveStage(AwsSecretsManagerProvider.AWSPREVIOUS, null, j.oldVersion(), j);
    }
  }

  @Override
  public String toString() {
    return "SecretsManagerSecretStore[" + secretId + "]";
  }
}
