package io.github.rotate4j.rotation;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The durable record of one rotation, kept in the {@link SecretStore} next to the secret: which
 * rotation, which step, which versions and keys, and when. Written before each step runs, so a
 * stopped run resumes from it. Holds no secret: key ids and version ids only. Immutable.
 *
 * <p>{@link #sequence()} grows by one with every journal write on the secret, across rotations: a
 * store accepts a journal only as the successor of the one it holds, which is how racing rotators
 * are fenced.
 *
 * <p>{@link #toMap()} and {@link #fromMap(Map)} give a flat string form (keys starting with
 * {@code rotation_}) that fits Vault's {@code custom_metadata} and AWS tags (values at most
 * {@value #MAX_VALUE_LENGTH} characters).
 */
public final class RotationJournal {

  /** Longest value {@link #toMap()} produces (the note is shortened to fit). */
  public static final int MAX_VALUE_LENGTH = 250;

  /** Map keys of the flat form. */
  public static final String ID = "rotation_id";
  static final String SEQUENCE = "rotation_seq";
  static final String PHASE = "rotation_phase";
  static final String OLD_VERSION = "rotation_old_version";
  static final String OLD_KEY_ID = "rotation_old_key_id";
  static final String NEW_KEY_ID = "rotation_new_key_id";
  static final String NEW_VERSION = "rotation_new_version";
  static final String STARTED_AT = "rotation_started_at";
  static final String UPDATED_AT = "rotation_updated_at";
  static final String STAGED_AT = "rotation_staged_at";
  static final String PROMOTED_AT = "rotation_promoted_at";
  static final String GRACE_ENDS_AT = "rotation_grace_ends_at";
  static final String NEXT_ROTATION = "rotation_next_rotation";
  static final String NOTE = "rotation_note";

  private final String rotationId;
  private final long sequence;
  private final RotationPhase phase;
  private final String oldVersion;
  private final String oldKeyId;
  private final String newKeyId;
  private final String newVersion;
  private final Instant startedAt;
  private final Instant updatedAt;
  private final Instant stagedAt;
  private final Instant promotedAt;
  private final Instant graceEndsAt;
  private final Instant nextRotation;
  private final String note;

  private RotationJournal(Builder b) {
    this.rotationId = requireId(b.rotationId);
    if (b.sequence < 1) {
      throw new IllegalArgumentException("sequence must be at least 1, but was " + b.sequence);
    }
    this.sequence = b.sequence;
    this.phase = Objects.requireNonNull(b.phase, "phase");
    this.oldVersion = Objects.requireNonNull(b.oldVersion, "oldVersion");
    this.oldKeyId = b.oldKeyId;
    this.newKeyId = b.newKeyId;
    this.newVersion = b.newVersion;
    this.startedAt = Objects.requireNonNull(b.startedAt, "startedAt");
    this.updatedAt = Objects.requireNonNull(b.updatedAt, "updatedAt");
    this.stagedAt = b.stagedAt;
    this.promotedAt = b.promotedAt;
    this.graceEndsAt = b.graceEndsAt;
    this.nextRotation = b.nextRotation;
    this.note = b.note == null || b.note.length() <= MAX_VALUE_LENGTH
        ? b.note : b.note.substring(0, MAX_VALUE_LENGTH - 3) + "...";
  }

  private static String requireId(String id) {
    Objects.requireNonNull(id, "rotationId");
    if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "rotationId must be 1 to 64 characters of [A-Za-z0-9._-], but was '" + id + "'");
    }
    return id;
  }

  /** Starts the first journal entry of a rotation (phase {@link RotationPhase#GENERATE}). */
  public static Builder start(String rotationId, long sequence, String oldVersion, Instant now) {
    Builder b = new Builder();
    b.rotationId = rotationId;
    b.sequence = sequence;
    b.phase = RotationPhase.GENERATE;
    b.oldVersion = oldVersion;
    b.startedAt = now;
    b.updatedAt = now;
    return b;
  }

  /** A builder for the successor of this entry: sequence + 1, the given phase and time. */
  public Builder next(RotationPhase phase, Instant now) {
    Builder b = toBuilder();
    b.sequence = sequence + 1;
    b.phase = phase;
    b.updatedAt = now;
    b.note = null;
    return b;
  }

  /** A builder with every field of this entry. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.rotationId = rotationId;
    b.sequence = sequence;
    b.phase = phase;
    b.oldVersion = oldVersion;
    b.oldKeyId = oldKeyId;
    b.newKeyId = newKeyId;
    b.newVersion = newVersion;
    b.startedAt = startedAt;
    b.updatedAt = updatedAt;
    b.stagedAt = stagedAt;
    b.promotedAt = promotedAt;
    b.graceEndsAt = graceEndsAt;
    b.nextRotation = nextRotation;
    b.note = note;
    return b;
  }

  /** The rotation id: the idempotency key (AWS's ClientRequestToken / VersionId). */
  public String rotationId() {
    return rotationId;
  }

  /** The journal write counter of the secret, across rotations. */
  public long sequence() {
    return sequence;
  }

  public RotationPhase phase() {
    return phase;
  }

  /** The store version that was current when the rotation started. */
  public String oldVersion() {
    return oldVersion;
  }

  /** The old key's id at the issuer, when known. */
  public Optional<String> oldKeyId() {
    return Optional.ofNullable(oldKeyId);
  }

  /** The new key's id at the issuer, once issued. */
  public Optional<String> newKeyId() {
    return Optional.ofNullable(newKeyId);
  }

  /** The store version of the new key, once promoted (when the store knows it before that: staged). */
  public Optional<String> newVersion() {
    return Optional.ofNullable(newVersion);
  }

  public Instant startedAt() {
    return startedAt;
  }

  /** When this entry was written. */
  public Instant updatedAt() {
    return updatedAt;
  }

  /** When the new key was staged as pending. */
  public Optional<Instant> stagedAt() {
    return Optional.ofNullable(stagedAt);
  }

  /** When the new key became current ({@code rotated_at}). */
  public Optional<Instant> promotedAt() {
    return Optional.ofNullable(promotedAt);
  }

  /** When the grace window of the old key ends. */
  public Optional<Instant> graceEndsAt() {
    return Optional.ofNullable(graceEndsAt);
  }

  /** The next rotation planned at promotion ({@code next_rotation}). */
  public Optional<Instant> nextRotation() {
    return Optional.ofNullable(nextRotation);
  }

  /** A human-readable remark: why a step failed, why the old key was not revoked. Never a secret. */
  public Optional<String> note() {
    return Optional.ofNullable(note);
  }

  /** The flat string form, for store metadata; absent fields are left out. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(ID, rotationId);
    m.put(SEQUENCE, Long.toString(sequence));
    m.put(PHASE, phase.name());
    m.put(OLD_VERSION, oldVersion);
    put(m, OLD_KEY_ID, oldKeyId);
    put(m, NEW_KEY_ID, newKeyId);
    put(m, NEW_VERSION, newVersion);
    m.put(STARTED_AT, startedAt.toString());
    m.put(UPDATED_AT, updatedAt.toString());
    put(m, STAGED_AT, stagedAt);
    put(m, PROMOTED_AT, promotedAt);
    put(m, GRACE_ENDS_AT, graceEndsAt);
    put(m, NEXT_ROTATION, nextRotation);
    put(m, NOTE, note);
    return m;
  }

  private static void put(Map<String, String> m, String key, Object value) {
    if (value != null) {
      m.put(key, value.toString());
    }
  }

  /**
   * Reads the flat form back; entries not starting with {@code rotation_} are ignored.
   *
   * @return the journal, or empty when the map holds none ({@value #ID} absent)
   * @throws IllegalArgumentException when the map holds a journal that is malformed (the message
   *     names the field)
   */
  public static Optional<RotationJournal> fromMap(Map<String, String> map) {
    Objects.requireNonNull(map, "map");
    if (!map.containsKey(ID)) {
      return Optional.empty();
    }
    Builder b = new Builder();
    b.rotationId = map.get(ID);
    b.sequence = parse(map, SEQUENCE, Long::parseLong);
    b.phase = parse(map, PHASE, RotationPhase::valueOf);
    b.oldVersion = map.get(OLD_VERSION);
    b.oldKeyId = map.get(OLD_KEY_ID);
    b.newKeyId = map.get(NEW_KEY_ID);
    b.newVersion = map.get(NEW_VERSION);
    b.startedAt = parse(map, STARTED_AT, Instant::parse);
    b.updatedAt = parse(map, UPDATED_AT, Instant::parse);
    b.stagedAt = parse(map, STAGED_AT, Instant::parse);
    b.promotedAt = parse(map, PROMOTED_AT, Instant::parse);
    b.graceEndsAt = parse(map, GRACE_ENDS_AT, Instant::parse);
    b.nextRotation = parse(map, NEXT_ROTATION, Instant::parse);
    b.note = map.get(NOTE);
    try {
      return Optional.of(b.build());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed rotation journal: " + e.getMessage(), e);
    }
  }

  private static <T> T parse(Map<String, String> map, String key, java.util.function.Function<String, T> parser) {
    String text = map.get(key);
    if (text == null) {
      return null;
    }
    try {
      return parser.apply(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed rotation journal: " + key + "='" + text + "'", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RotationJournal j && j.toMap().equals(toMap());
  }

  @Override
  public int hashCode() {
    return toMap().hashCode();
  }

  @Override
  public String toString() {
    return "RotationJournal" + toMap();
  }

  /** Builds a {@link RotationJournal}; obtained from {@link #start} or {@link #next}. */
  public static final class Builder {
    private String rotationId;
    private long sequence;
    private RotationPhase phase;
    private String oldVersion;
    private String oldKeyId;
    private String newKeyId;
    private String newVersion;
    private Instant startedAt;
    private Instant updatedAt;
    private Instant stagedAt;
    private Instant promotedAt;
    private Instant graceEndsAt;
    private Instant nextRotation;
    private String note;

    private Builder() {}

    /** The old key's id at the issuer; {@code null} when unknown. */
    public Builder oldKeyId(String oldKeyId) {
      this.oldKeyId = oldKeyId;
      return this;
    }

    /** The new key's id at the issuer. */
    public Builder newKeyId(String newKeyId) {
      this.newKeyId = newKeyId;
      return this;
    }

    /** The new key's store version. */
    public Builder newVersion(String newVersion) {
      this.newVersion = newVersion;
      return this;
    }

    public Builder stagedAt(Instant stagedAt) {
      this.stagedAt = stagedAt;
      return this;
    }

    public Builder promotedAt(Instant promotedAt) {
      this.promotedAt = promotedAt;
      return this;
    }

    public Builder graceEndsAt(Instant graceEndsAt) {
      this.graceEndsAt = graceEndsAt;
      return this;
    }

    public Builder nextRotation(Instant nextRotation) {
      this.nextRotation = nextRotation;
      return this;
    }

    /** A remark; must not contain a secret. Shortened to {@link #MAX_VALUE_LENGTH} characters. */
    public Builder note(String note) {
      this.note = note;
      return this;
    }

    public RotationJournal build() {
      return new RotationJournal(this);
    }
  }
}
