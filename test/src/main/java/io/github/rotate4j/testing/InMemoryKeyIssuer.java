package io.github.rotate4j.testing;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.IssuedKey;
import io.github.rotate4j.rotation.KeyGenerator;
import io.github.rotate4j.rotation.KeyIssuer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KeyIssuer} that stands for an external service's key API: it creates keys labelled with
 * the rotation id, revokes them, records when each was last used ({@link #authenticate}), and lists
 * keys by rotation. {@link #faults()} crashes or fails any call ({@code issuer.issue.before/after},
 * {@code issuer.revoke.before/after}, {@code issuer.lastUsed.before}).
 *
 * <pre>{@code
 * InMemoryKeyIssuer service = InMemoryKeyIssuer.create();
 * String firstKeyId = service.register(SecretValue.ofString("initial-key"));
 * boolean accepted = service.authenticate(presentedKey, now);   // what the real service would do
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class InMemoryKeyIssuer implements KeyIssuer {

  /** One key at the service. */
  private static final class Key {
    final String id;
    final SecretValue value;
    final @Nullable String rotationId;
    boolean live = true;
    @Nullable Instant lastUsed;

    Key(String id, SecretValue value, @Nullable String rotationId) {
      this.id = id;
      this.value = value;
      this.rotationId = rotationId;
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Key> keys = new LinkedHashMap<>();
  private final FaultPoints faults = new FaultPoints();
  private final KeyGenerator generator = KeyGenerator.alphanumeric(32);
  private final boolean twoLiveKeys;
  private int counter;

  private InMemoryKeyIssuer(boolean twoLiveKeys) {
    this.twoLiveKeys = twoLiveKeys;
  }

  /** A service that lets a key and its successor live side by side. */
  public static InMemoryKeyIssuer create() {
    return new InMemoryKeyIssuer(true);
  }

  /** A service with one live key at a time: issuing a key revokes every other. */
  public static InMemoryKeyIssuer singleLiveKey() {
    return new InMemoryKeyIssuer(false);
  }

  /** The fault points of this issuer. */
  public FaultPoints faults() {
    return faults;
  }

  /** Adds a live key created outside any rotation (the first key); returns its id. */
  public String register(SecretValue value) {
    Objects.requireNonNull(value, "value");
    lock.lock();
    try {
      String id = "key-" + (++counter);
      keys.put(id, new Key(id, value, null));
      return id;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public IssuedKey issue(String rotationId) {
    Objects.requireNonNull(rotationId, "rotationId");
    faults.at("issuer.issue.before");
    IssuedKey issued;
    lock.lock();
    try {
      String id = "key-" + (++counter);
      Key k = new Key(id, generator.generateValue(), rotationId);
      if (!twoLiveKeys) {
        keys.values().forEach(other -> other.live = false);
      }
      keys.put(id, k);
      issued = new IssuedKey(id, k.value);
    } finally {
      lock.unlock();
    }
    faults.at("issuer.issue.after");
    return issued;
  }

  @Override
  public void revoke(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    faults.at("issuer.revoke.before");
    lock.lock();
    try {
      Key k = keys.get(keyId);
      if (k != null) {
        k.live = false;
      }
    } finally {
      lock.unlock();
    }
    faults.at("issuer.revoke.after");
  }

  @Override
  public Optional<Instant> lastUsed(String keyId) {
    faults.at("issuer.lastUsed.before");
    lock.lock();
    try {
      Key k = keys.get(keyId);
      return k == null ? Optional.empty() : Optional.ofNullable(k.lastUsed);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean reportsLastUse() {
    return true;
  }

  @Override
  public List<String> keysIssuedFor(String rotationId) {
    lock.lock();
    try {
      return keys.values().stream().filter(k -> rotationId.equals(k.rotationId)).map(k -> k.id).toList();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean listsKeysByRotation() {
    return true;
  }

  @Override
  public Optional<String> keyIdOf(SecretValue value) {
    lock.lock();
    try {
      return keys.values().stream().filter(k -> k.value.equals(value)).map(k -> k.id).findFirst();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean allowsTwoLiveKeys() {
    return twoLiveKeys;
  }

  /**
   * What the service does with a request carrying {@code presented}: accepts it when a live key has
   * that value, and then records the use at {@code at}.
   */
  public boolean authenticate(SecretValue presented, Instant at) {
    lock.lock();
    try {
      for (Key k : keys.values()) {
        if (k.live && k.value.equals(presented)) {
          k.lastUsed = at;
          return true;
        }
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Whether a live key has this value (does not record a use). */
  public boolean accepts(SecretValue value) {
    lock.lock();
    try {
      return keys.values().stream().anyMatch(k -> k.live && k.value.equals(value));
    } finally {
      lock.unlock();
    }
  }

  /** Whether the key exists and is live. */
  public boolean isLive(String keyId) {
    lock.lock();
    try {
      Key k = keys.get(keyId);
      return k != null && k.live;
    } finally {
      lock.unlock();
    }
  }

  /** Ids of the live keys, oldest first. */
  public List<String> liveKeyIds() {
    lock.lock();
    try {
      List<String> ids = new ArrayList<>();
      keys.values().forEach(k -> {
        if (k.live) {
          ids.add(k.id);
        }
      });
      return ids;
    } finally {
      lock.unlock();
    }
  }

  /** Ids of every key ever created, oldest first. */
  public List<String> allKeyIds() {
    lock.lock();
    try {
      return List.copyOf(keys.keySet());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "InMemoryKeyIssuer[" + liveKeyIds().size() + " live keys]";
  }
}
