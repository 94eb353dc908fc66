package io.github.rotate4j;

import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How a key ring changes: after a fetch, after a renewal, and as grace windows end. Pure: every
 * method takes the old ring and {@code now} and returns a new ring.
 *
 * <p>Who decides which older versions stay valid: a provider that reports the backend's history
 * ({@link FetchResult#historyReported()}: AWS stages, KV versions) is the authority, so a version it
 * no longer reports leaves the ring at once; otherwise (files, leases) the engine keeps the versions
 * it saw itself, each for {@code gracePeriod} after the rotation or until its own expiry.
 */
final class KeyRingTransitions {

  private KeyRingTransitions() {}

  /** The outcome of a fetch: the new ring, and how the current version changed. */
  record AfterFetch(KeyRing ring, boolean first, boolean rotated, boolean contentChanged) {}

  static AfterFetch afterFetch(@Nullable KeyRing old, FetchResult r, Instant now, Duration grace) {
    Credential fresh = r.current();
    Credential oldCurrent = old == null ? null : old.current();
    boolean rotated = oldCurrent != null && !oldCurrent.version().equals(fresh.version());
    boolean contentChanged = oldCurrent != null && !rotated
        && !oldCurrent.value().equals(fresh.value());
    String pendingVersion = r.pending().map(Credential::version).filter(v -> !v.equals(fresh.version())).orElse(null);

    Map<String, KeyRing.Entry> known = new LinkedHashMap<>();
    if (old != null) {
      old.entries().forEach(e -> known.put(e.credential().version(), e));
    }
    Set<String> seen = new HashSet<>();
    seen.add(fresh.version());
    if (pendingVersion != null) {
      seen.add(pendingVersion);
    }
    List<KeyRing.Entry> previous = new ArrayList<>();
    if (!grace.isZero()) {
      Instant graceBase = fresh.issuedAt().isAfter(now) ? now : fresh.issuedAt();
      if (r.historyReported()) {
        for (Credential p : r.previous()) {
          if (!seen.add(p.version())) {
            continue;
          }
          KeyRing.Entry before = known.get(p.version());
          Instant until;
          if (before != null && before.slot() == KeySlot.PREVIOUS) {
            until = before.validUntil(); // its grace window already runs
          } else if (before != null) {
            until = earliest(now.plus(grace), p.expiresAt().orElse(null)); // it was current until now
          } else {
            until = earliest(graceBase.plus(grace), p.expiresAt().orElse(null));
          }
          addIfValid(previous, new KeyRing.Entry(p, KeySlot.PREVIOUS, until), now);
        }
      } else {
        if (rotated && seen.add(java.util.Objects.requireNonNull(oldCurrent).version())) {
          addIfValid(previous, new KeyRing.Entry(oldCurrent, KeySlot.PREVIOUS,
              earliest(now.plus(grace), oldCurrent.expiresAt().orElse(null))), now);
        }
        for (KeyRing.Entry e : known.values()) {
          if (e.slot() == KeySlot.PREVIOUS && seen.add(e.credential().version())) {
            addIfValid(previous, e, now);
          }
        }
      }
    }
    previous.sort(Comparator.comparing((KeyRing.Entry e) -> e.credential().issuedAt()).reversed());

    List<KeyRing.Entry> entries = new ArrayList<>();
    entries.add(new KeyRing.Entry(fresh, KeySlot.CURRENT, fresh.expiresAt().orElse(null)));
    if (pendingVersion != null) {
      Credential p = r.pending().orElseThrow();
      entries.add(new KeyRing.Entry(p, KeySlot.PENDING, p.expiresAt().orElse(null)));
    }
    entries.addAll(previous);
    return new AfterFetch(KeyRing.of(entries), old == null, rotated, contentChanged);
  }

  /** The ring after the current lease was renewed: same entries, the current one with its new expiry. */
  static KeyRing afterRenewal(KeyRing old, Credential renewed) {
    List<KeyRing.Entry> entries = new ArrayList<>();
    for (KeyRing.Entry e : old.entries()) {
      entries.add(e.slot() == KeySlot.CURRENT
          ? new KeyRing.Entry(renewed, KeySlot.CURRENT, renewed.expiresAt().orElse(null))
          : e);
    }
    return KeyRing.of(entries);
  }

  /** The ring without the entries whose window is over at {@code now}; the same ring if none is. */
  static KeyRing prune(KeyRing ring, Instant now) {
    List<KeyRing.Entry> kept = new ArrayList<>();
    for (KeyRing.Entry e : ring.entries()) {
      if (e.slot() == KeySlot.CURRENT || e.isValidAt(now)) {
        kept.add(e);
      }
    }
    return kept.size() == ring.entries().size() ? ring : KeyRing.of(kept);
  }

  /** When the next non-current entry leaves the ring, if any does. */
  static Optional<Instant> nextPrune(KeyRing ring) {
    return ring.entries().stream()
        .filter(e -> e.slot() != KeySlot.CURRENT)
        .map(e -> earliest(e.validUntil(), e.credential().expiresAt().orElse(null)))
        .filter(t -> t != null)
        .min(Comparator.naturalOrder());
  }

  private static void addIfValid(List<KeyRing.Entry> into, KeyRing.Entry e, Instant now) {
    if (e.isValidAt(now)) {
      into.add(e);
    }
  }

  static @Nullable Instant earliest(@Nullable Instant a, @Nullable Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }
}
