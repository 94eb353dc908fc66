package io.github.rotate4j;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The credentials that are valid right now: the current one, the previous ones still inside their
 * grace window, and a pending one when the backend has staged it. Immutable; a new ring replaces
 * the old one whole on every change, so readers never see a half-updated ring.
 *
 * <p>The ring answers two questions. <em>Which key do I send?</em> {@link #current()}. <em>Is this
 * key that somebody presented valid, and which version is it?</em> {@link #match(String, Instant)},
 * which compares SHA-256 digests with {@link MessageDigest#isEqual} against every live entry without
 * stopping early, so neither the position nor the length of a match leaks through timing.
 */
public final class KeyRing {

  /**
   * One credential in the ring.
   *
   * @param credential the credential
   * @param slot its place in the ring
   * @param validUntil end of its validity in the ring: the earlier of its grace end and its hard
   *     expiry; {@code null} when neither applies
   */
  public record Entry(Credential credential, KeySlot slot, @Nullable Instant validUntil) {
    public Entry {
      Objects.requireNonNull(credential, "credential");
      Objects.requireNonNull(slot, "slot");
    }

    /** The end of validity, if any. */
    public Optional<Instant> validUntilTime() {
      return Optional.ofNullable(validUntil);
    }

    /** Whether the entry is still valid at {@code now}. */
    public boolean isValidAt(Instant now) {
      return (validUntil == null || now.isBefore(validUntil)) && !credential.isExpiredAt(now);
    }
  }

  private final Entry current;
  private final List<Entry> pending;
  private final List<Entry> previous;

  private KeyRing(Entry current, List<Entry> pending, List<Entry> previous) {
    this.current = current;
    this.pending = List.copyOf(pending);
    this.previous = List.copyOf(previous);
  }

  /** A ring with only a current credential. */
  public static KeyRing of(Credential current) {
    return new KeyRing(new Entry(current, KeySlot.CURRENT, current.expiresAt().orElse(null)), List.of(), List.of());
  }

  /**
   * A ring from its entries. Exactly one entry must be {@link KeySlot#CURRENT}; previous entries are
   * kept newest first in the order given.
   */
  public static KeyRing of(List<Entry> entries) {
    Entry cur = null;
    List<Entry> pend = new ArrayList<>();
    List<Entry> prev = new ArrayList<>();
    for (Entry e : entries) {
      switch (e.slot()) {
        case CURRENT -> {
          if (cur != null) {
            throw new IllegalArgumentException(
                "a key ring has one current entry, but got versions " + cur.credential().version()
                    + " and " + e.credential().version());
          }
          cur = e;
        }
        case PENDING -> pend.add(e);
        case PREVIOUS -> prev.add(e);
      }
    }
    if (cur == null) {
      throw new IllegalArgumentException("a key ring needs a current entry");
    }
    return new KeyRing(cur, pend, prev);
  }

  /** The credential to send. */
  public Credential current() {
    return current.credential();
  }

  /** The current entry, with its validity. */
  public Entry currentEntry() {
    return current;
  }

  /** The pending credential, if the backend has staged one. */
  public Optional<Credential> pending() {
    return pending.isEmpty() ? Optional.empty() : Optional.of(pending.get(0).credential());
  }

  /** Previous credentials still inside their grace window, newest first. */
  public List<Credential> previous() {
    return previous.stream().map(Entry::credential).toList();
  }

  /** Every entry: current first, then pending, then previous (newest first). */
  public List<Entry> entries() {
    List<Entry> all = new ArrayList<>(1 + pending.size() + previous.size());
    all.add(current);
    all.addAll(pending);
    all.addAll(previous);
    return List.copyOf(all);
  }

  /** Finds the entry holding {@code version}, if any. */
  public Optional<Entry> entry(String version) {
    return entries().stream().filter(e -> e.credential().version().equals(version)).findFirst();
  }

  /**
   * Matches a presented key, as UTF-8 text, against every entry valid at {@code now}.
   *
   * @return the matching version and its slot, or empty when the key is unknown or no longer valid
   */
  public Optional<KeyMatch> match(String presented, Instant now) {
    Objects.requireNonNull(presented, "presented");
    return match(presented.getBytes(StandardCharsets.UTF_8), now);
  }

  /**
   * Matches a presented key against every entry valid at {@code now}, in constant time with respect
   * to the keys in the ring.
   */
  public Optional<KeyMatch> match(byte[] presented, Instant now) {
    return match(presented, now, null);
  }

  /**
   * Like {@link #match(byte[], Instant)}, for key/value secrets (JSON, Vault KV) whose field
   * {@code keyField} holds the key callers present; {@code null} means the value's own presented
   * form.
   *
   * @throws IllegalStateException if an entry has no such field
   */
  public Optional<KeyMatch> match(byte[] presented, Instant now, @Nullable String keyField) {
    Objects.requireNonNull(presented, "presented");
    Objects.requireNonNull(now, "now");
    byte[] digest = Credential.sha256(presented);
    // no early exit: every entry is compared whatever the outcome (current, pending, previous, as in
    // entries(), without building that list on every call)
    Entry found = matching(current, digest, now, keyField, null);
    for (Entry e : pending) {
      found = matching(e, digest, now, keyField, found);
    }
    for (Entry e : previous) {
      found = matching(e, digest, now, keyField, found);
    }
    return found == null ? Optional.empty() : Optional.of(new KeyMatch(found.credential().version(), found.slot()));
  }

  /** {@code found} if set, else {@code e} if it holds the presented digest and is valid at {@code now}. */
  private static @Nullable Entry matching(Entry e, byte[] digest, Instant now, @Nullable String keyField,
      @Nullable Entry found) {
    boolean equal = MessageDigest.isEqual(digest, e.credential().presentedDigest(keyField));
    return equal && found == null && e.isValidAt(now) ? e : found;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("KeyRing[current=").append(current.credential().version());
    pending.forEach(e -> sb.append(", pending=").append(e.credential().version()));
    previous.forEach(e -> sb.append(", previous=").append(e.credential().version())
        .append(e.validUntil() == null ? "" : " until " + e.validUntil()));
    return sb.append(']').toString();
  }
}
