package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationConflictException;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.SecretStore;
import io.github.rotate4j.rotation.StoredKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A rotation {@link SecretStore} on a KV version 2 secret in Vault or OpenBao.
 *
 * <ul>
 *   <li>The current key is the secret's current version; consumers never see an unverified key
 *       there: the new key is written as a new version only at promotion, with {@code cas} set to
 *       the version the rotation started from.
 *   <li>The staged key lives in a sibling secret, {@code <path>.pending} by default, named in the
 *       secret's {@code custom_metadata} ({@value #PENDING_PATH}, {@value #PENDING_ID});
 *       {@link VaultKvProvider} reads it as its key ring's pending entry, so {@code call(fn)} can
 *       fall back to it. It is deleted at promotion or rollback.
 *   <li>The previous key stays readable as version n-1 during the grace window (the store refuses to
 *       work on a secret whose {@code max_versions} is 1), and is soft-deleted once revoked.
 *   <li>The journal, {@code rotated_at} and {@code next_rotation} live in {@code custom_metadata}.
 * </ul>
 *
 * <p><b>Fencing.</b> Vault has no check-and-set on metadata, so journal writes read, check and
 * write; the writes that decide (promotion, restoring the old key) use {@code cas} on the data, so
 * two rotators that slip through that window still cannot both promote.
 *
 * <p><b>Values.</b> A text key is stored as a one-field secret, field {@code valueField} (default
 * {@value #DEFAULT_VALUE_FIELD}), and read back as text; a key/value value is stored as-is.
 *
 * <p><b>Policy for the rotator</b> (consumers need only {@code read} on the data and metadata of
 * the secret and its pending sibling):
 *
 * <pre>
 * path "secret/data/payments/api-key"           { capabilities = ["create", "read", "update"] }
 * path "secret/metadata/payments/api-key"       { capabilities = ["read", "update"] }
 * path "secret/delete/payments/api-key"         { capabilities = ["update"] }
 * path "secret/data/payments/api-key.pending"   { capabilities = ["create", "read", "update"] }
 * path "secret/metadata/payments/api-key.pending" { capabilities = ["read", "delete"] }
 * path "secret/config"                          { capabilities = ["read"] }   # optional: max_versions check
 * </pre>
 *
 * <p>Thread-safe.
 */
public final class VaultKvSecretStore implements SecretStore {

  /** Custom metadata key naming the pending sibling secret (relative to the mount). */
  public static final String PENDING_PATH = "rotation_pending_path";
  /** Custom metadata key holding the rotation id of the pending key. */
  public static final String PENDING_ID = "rotation_pending_id";
  /** Custom metadata key: when the current key was promoted. */
  public static final String ROTATED_AT = "rotated_at";
  /** Custom metadata key: the rotation that wrote the current version. */
  static final String CURRENT_ID = "rotation_current_id";
  /** Custom metadata key: {@code rotated_at} before the latest promotion, for a rollback. */
  static final String PREVIOUS_ROTATED_AT = "rotation_previous_rotated_at";
  /** The field a text key is stored under, unless configured. */
  public static final String DEFAULT_VALUE_FIELD = "api_key";

  private static final String PENDING_SUFFIX = ".pending";

  private final VaultSession session;
  private final String mount;
  private final String secretPath;
  private final String pendingPath;
  private final String valueField;
  private final String name;

  private VaultKvSecretStore(VaultSession session, String mount, String secretPath, String valueField) {
    this.session = Objects.requireNonNull(session, "session");
    this.mount = VaultAuth.requireMount(mount);
    this.secretPath = VaultAuth.requireMount(secretPath);
    this.pendingPath = this.secretPath + PENDING_SUFFIX;
    this.valueField = Objects.requireNonNull(valueField, "valueField");
    if (valueField.isBlank()) {
      throw new IllegalArgumentException("valueField must not be blank");
    }
    this.name = "vault " + this.mount + "/" + this.secretPath;
  }

  /** The secret {@code secretPath} in the KV v2 engine mounted at {@code mount}; text keys under {@value #DEFAULT_VALUE_FIELD}. */
  public static VaultKvSecretStore of(VaultSession session, String mount, String secretPath) {
    return new VaultKvSecretStore(session, mount, secretPath, DEFAULT_VALUE_FIELD);
  }

  /** Like {@link #of}, storing a text key under {@code valueField}. */
  public static VaultKvSecretStore of(VaultSession session, String mount, String secretPath, String valueField) {
    return new VaultKvSecretStore(session, mount, secretPath, valueField);
  }

  @Override
  public String describe() {
    return name;
  }

  // ------------------------------------------------------------------ reading

  /** The secret's metadata, as read in one call. */
  private record Meta(long currentVersion, long maxVersions, Map<String, String> custom, JsonObject versions) {
    Optional<RotationJournal> journal() {
      return RotationJournal.fromMap(custom);
    }

    boolean live(long version) {
      JsonValue v = versions.get(Long.toString(version));
      if (v == null || !v.isObject()) {
        return false;
      }
      JsonValue deletion = v.asObject().get("deletion_time");
      JsonValue destroyed = v.asObject().get("destroyed");
      boolean deleted = deletion != null && deletion.isString() && !deletion.asString().isEmpty();
      return !deleted && !(destroyed != null && destroyed.isBoolean() && destroyed.asBoolean());
    }
  }

  private Meta meta(SessionToken st) {
    String api = mount + "/metadata/" + secretPath;
    JsonObject body;
    try {
      body = session.transport().send(name, "GET", api, st.value(), null);
    } catch (BackendException e) {
      if (e.httpStatus().orElse(0) == 404) {
        throw new RotationException(name, null, "the secret does not exist; write its first key by hand", e);
      }
      throw e;
    }
    VaultJson json = new VaultJson(name, api);
    JsonObject data = json.object(body, "data");
    long current = json.number(data, "current_version");
    if (current < 1) {
      throw new RotationException(name, null, "the secret has no version; write its first key by hand", null);
    }
    long max = data.get("max_versions") == null ? 0 : json.number(data, "max_versions");
    Map<String, String> custom = json.optionalObject(data, "custom_metadata").map(VaultJson::flatten).orElse(Map.of());
    return new Meta(current, max, custom, json.object(data, "versions"));
  }

  private Optional<Map<String, String>> readData(SessionToken st, String path, long version) {
    String api = mount + "/data/" + path + (version > 0 ? "?version=" + version : "");
    JsonObject body;
    try {
      body = session.transport().send(name, "GET", api, st.value(), null);
    } catch (BackendException e) {
      if (e.httpStatus().orElse(0) == 404) {
        return Optional.empty();
      }
      throw e;
    }
    JsonValue data = body.get("data");
    if (data == null || !data.isObject()) {
      return Optional.empty();
    }
    JsonValue values = data.asObject().get("data");
    return values == null || !values.isObject() ? Optional.empty() : Optional.of(VaultJson.flatten(values.asObject()));
  }

  private SecretValue toValue(Map<String, String> data) {
    if (data.size() == 1 && data.containsKey(valueField)) {
      return SecretValue.ofString(data.get(valueField));
    }
    return SecretValue.ofMap(data);
  }

  private Map<String, String> toData(SecretValue value) {
    if (value instanceof SecretValue.Text t) {
      return Map.of(valueField, t.value());
    }
    if (value instanceof SecretValue.KeyValue kv) {
      return kv.value();
    }
    if (value instanceof SecretValue.UsernamePassword up) {
      Map<String, String> m = new LinkedHashMap<>(up.attributes());
      m.put("username", up.username());
      m.put("password", up.password());
      return m;
    }
    throw new IllegalArgumentException("a KV secret cannot hold a binary key; encode it as text first");
  }

  @Override
  public RotationState read() {
    return session.withToken(name, st -> {
      Meta m = meta(st);
      requireRoomForPrevious(st, m);
      StoredKey current = new StoredKey(Long.toString(m.currentVersion()), toValue(readData(st, secretPath, m.currentVersion())
          .orElseThrow(() -> new RotationException(name, null,
              "current version " + m.currentVersion() + " is deleted or destroyed", null))),
          m.custom().get(CURRENT_ID));
      Optional<StoredKey> previous = Optional.empty();
      if (m.currentVersion() > 1 && m.live(m.currentVersion() - 1)) {
        previous = readData(st, secretPath, m.currentVersion() - 1)
            .map(d -> StoredKey.of(Long.toString(m.currentVersion() - 1), toValue(d)));
      }
      Optional<StoredKey> pending = Optional.empty();
      String pendingId = m.custom().get(PENDING_ID);
      if (pendingId != null) {
        pending = readData(st, pendingPath, 0).map(d -> new StoredKey("pending-" + pendingId, toValue(d), pendingId));
      }
      return new RotationState(current, previous, pending, journal(m),
          instant(m.custom(), ROTATED_AT), instant(m.custom(), VaultKvProvider.NEXT_ROTATION));
    });
  }

  private Optional<RotationJournal> journal(Meta m) {
    try {
      return m.journal();
    } catch (IllegalArgumentException e) {
      throw new RotationException(name, null, e.getMessage(), null);
    }
  }

  private static Optional<Instant> instant(Map<String, String> custom, String key) {
    return Optional.ofNullable(custom.get(key)).flatMap(VaultJson::parseInstant);
  }

  /** Refuses a secret that keeps one version only: the old key must stay readable as n-1. */
  private void requireRoomForPrevious(SessionToken st, Meta m) {
    long max = m.maxVersions();
    if (max == 0) {
      try {
        JsonObject body = session.transport().send(name, "GET", mount + "/config", st.value(), null);
        JsonValue data = body.get("data");
        JsonValue mv = data != null && data.isObject() ? data.asObject().get("max_versions") : null;
        max = mv != null && mv.isNumber() ? mv.asLong() : 0;
      } catch (BackendException e) {
        max = 0; // no permission to read the mount's configuration: its default keeps 10 versions
      }
    }
    if (max == 1) {
      throw new RotationException(name, null, "the secret keeps only 1 version (max_versions = 1), so the old key "
          + "could not stay readable as version n-1 during the grace window; set max_versions to 2 or more on "
          + mount + "/metadata/" + secretPath + " or the mount", null);
    }
  }

  // ------------------------------------------------------------------ writing

  private void requireHeld(Meta m, RotationJournal j, String operation) {
    Optional<RotationJournal> held = journal(m);
    if (held.isEmpty() || !held.get().rotationId().equals(j.rotationId()) || held.get().sequence() != j.sequence()) {
      throw new RotationConflictException(name, j.rotationId(), operation + " refused: the journal held is "
          + held.map(h -> "rotation " + h.rotationId() + " entry " + h.sequence()).orElse("none")
          + ", not entry " + j.sequence());
    }
  }

  private void writeCustom(SessionToken st, Map<String, String> custom) {
    JsonObject cm = new JsonObject();
    custom.forEach(cm::add);
    session.transport().send(name, "POST", mount + "/metadata/" + secretPath, st.value(),
        new JsonObject().add("custom_metadata", cm));
  }

  private long writeData(SessionToken st, String path, Map<String, String> data, @Nullable Long cas, RotationJournal j) {
    JsonObject values = new JsonObject();
    data.forEach(values::add);
    JsonObject body = new JsonObject().add("data", values);
    if (cas != null) {
      body.add("options", new JsonObject().add("cas", cas));
    }
    String api = mount + "/data/" + path;
    JsonObject response;
    try {
      response = session.transport().send(name, "POST", api, st.value(), body);
    } catch (BackendException e) {
      if (e.httpStatus().orElse(0) == 400 && String.valueOf(e.getMessage()).contains("check-and-set")) {
        throw new RotationConflictException(name, j.rotationId(),
            "the secret changed underneath (check-and-set on version " + cas + " failed)");
      }
      throw e;
    }
    return new VaultJson(name, api).number(new VaultJson(name, api).object(response, "data"), "version");
  }

  private static Map<String, String> withoutJournal(Map<String, String> custom) {
    Map<String, String> m = new LinkedHashMap<>(custom);
    m.keySet().removeIf(k -> k.startsWith("rotation_") && !k.equals(PENDING_PATH) && !k.equals(PENDING_ID)
        && !k.equals(CURRENT_ID) && !k.equals(PREVIOUS_ROTATED_AT));
    return m;
  }

  @Override
  public void writeJournal(RotationJournal entry) {
    session.withToken(name, st -> {
      Meta m = meta(st);
      Optional<RotationJournal> held = journal(m);
      long expected = held.map(RotationJournal::sequence).orElse(0L) + 1;
      boolean same = held.isPresent() && held.get().rotationId().equals(entry.rotationId());
      boolean fresh = (held.isEmpty() || held.get().phase().isTerminal())
          && entry.phase() == RotationPhase.GENERATE && !same;
      if (entry.sequence() != expected || !(same || fresh)) {
        throw new RotationConflictException(name, entry.rotationId(), "journal entry " + entry.sequence() + " ("
            + entry.phase() + ") does not follow the one held: " + held.map(h -> "rotation " + h.rotationId()
                + " entry " + h.sequence() + " (" + h.phase() + ")").orElse("none"));
      }
      Map<String, String> custom = withoutJournal(m.custom());
      custom.putAll(entry.toMap());
      writeCustom(st, custom);
      return null;
    });
  }

  @Override
  public void stage(RotationJournal j, SecretValue value) {
    Map<String, String> data = toData(value);
    session.withToken(name, st -> {
      Meta m = meta(st);
      requireHeld(m, j, "stage");
      String other = m.custom().get(PENDING_ID);
      if (other != null && !other.equals(j.rotationId())) {
        throw new RotationConflictException(name, j.rotationId(), "rotation " + other + " has a key pending already");
      }
      writeData(st, pendingPath, data, null, j);
      Map<String, String> custom = new LinkedHashMap<>(m.custom());
      custom.put(PENDING_PATH, pendingPath);
      custom.put(PENDING_ID, j.rotationId());
      writeCustom(st, custom);
      return null;
    });
  }

  @Override
  public String promote(RotationJournal j) {
    return session.withToken(name, st -> {
      Meta m = meta(st);
      requireHeld(m, j, "promote");
      long old = Long.parseLong(j.oldVersion());
      if (j.rotationId().equals(m.custom().get(CURRENT_ID)) && !j.rotationId().equals(m.custom().get(PENDING_ID))) {
        deletePendingSecret(st); // done before, perhaps up to this last step
        return Long.toString(m.currentVersion());
      }
      if (!j.rotationId().equals(m.custom().get(PENDING_ID))) {
        throw new RotationException(name, j.rotationId(), "no key of this rotation is pending", null);
      }
      Map<String, String> pending = readData(st, pendingPath, 0).orElseThrow(() -> new RotationException(name,
          j.rotationId(), "the pending secret " + mount + "/" + pendingPath + " is gone", null));
      long version;
      if (m.currentVersion() == old) {
        version = writeData(st, secretPath, pending, old, j);
      } else if (m.currentVersion() == old + 1
          && readData(st, secretPath, m.currentVersion()).filter(pending::equals).isPresent()) {
        version = m.currentVersion(); // the data write happened; the metadata did not
      } else {
        throw new RotationConflictException(name, j.rotationId(),
            "current version is " + m.currentVersion() + ", not the rotation's old version " + old);
      }
      Map<String, String> custom = new LinkedHashMap<>(m.custom());
      Optional.ofNullable(custom.get(ROTATED_AT)).ifPresentOrElse(
          t -> custom.put(PREVIOUS_ROTATED_AT, t), () -> custom.remove(PREVIOUS_ROTATED_AT));
      custom.put(ROTATED_AT, j.promotedAt().orElseThrow().toString());
      j.nextRotation().ifPresent(t -> custom.put(VaultKvProvider.NEXT_ROTATION, t.toString()));
      custom.put(CURRENT_ID, j.rotationId());
      custom.remove(PENDING_ID);
      custom.remove(PENDING_PATH);
      writeCustom(st, custom);
      deletePendingSecret(st);
      return Long.toString(version);
    });
  }

  private void deletePendingSecret(SessionToken st) {
    try {
      session.transport().send(name, "DELETE", mount + "/metadata/" + pendingPath, st.value(), null);
    } catch (BackendException e) {
      if (e.httpStatus().orElse(0) != 404) {
        throw e;
      }
    }
  }

  @Override
  public void discardPending(RotationJournal j) {
    session.withToken(name, st -> {
      Meta m = meta(st);
      requireHeld(m, j, "discardPending");
      String owner = m.custom().get(PENDING_ID);
      if (owner != null && owner.equals(j.rotationId())) {
        Map<String, String> custom = new LinkedHashMap<>(m.custom());
        custom.remove(PENDING_ID);
        custom.remove(PENDING_PATH);
        writeCustom(st, custom);
      }
      if (owner == null || owner.equals(j.rotationId())) {
        deletePendingSecret(st);
      }
      return null;
    });
  }

  @Override
  public String restorePrevious(RotationJournal j) {
    return session.withToken(name, st -> {
      Meta m = meta(st);
      requireHeld(m, j, "restorePrevious");
      if (!j.rotationId().equals(m.custom().get(CURRENT_ID))) {
        return Long.toString(m.currentVersion()); // never promoted, or restored already
      }
      long old = Long.parseLong(j.oldVersion());
      Map<String, String> oldData = readData(st, secretPath, old).orElseThrow(() -> new RotationException(name,
          j.rotationId(), "the old version " + old + " is deleted or destroyed and cannot be restored", null));
      long version = m.currentVersion();
      boolean written = readData(st, secretPath, version).filter(oldData::equals).isPresent();
      if (!written) {
        version = writeData(st, secretPath, oldData, m.currentVersion(), j);
      }
      Map<String, String> custom = new LinkedHashMap<>(m.custom());
      String before = custom.remove(PREVIOUS_ROTATED_AT);
      if (before != null) {
        custom.put(ROTATED_AT, before);
      } else {
        custom.remove(ROTATED_AT);
      }
      custom.remove(CURRENT_ID);
      writeCustom(st, custom);
      return Long.toString(version);
    });
  }

  @Override
  public void retirePrevious(RotationJournal j) {
    session.withToken(name, st -> {
      Meta m = meta(st);
      requireHeld(m, j, "retirePrevious");
      long old = Long.parseLong(j.oldVersion());
      if (m.live(old)) {
        JsonObject body = new JsonObject().add("versions", new io.github.jopenlibs.vault.json.JsonArray().add(old));
        session.transport().send(name, "POST", mount + "/delete/" + secretPath, st.value(), body);
      }
      return null;
    });
  }

  @Override
  public String toString() {
    return "VaultKvSecretStore[" + session.backendId() + " " + mount + "/" + secretPath + "]";
  }
}
