package io.github.rotate4j.rotation;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call of a {@link Rotator}: reads the store, then walks the state machine as far as it can.
 *
 * <p>Rules every step keeps: the journal entry naming a step is in the store before the step acts;
 * a run that picks up a journal it did not write first writes a successor of it (a claim), so two
 * runs resuming the same rotation are fenced like two starting one; every action is idempotent.
 * {@link Error}s (a dying process, a simulated crash) are never caught.
 */
final class RotationRun {

  private static final Logger LOG = LoggerFactory.getLogger(Rotator.class);

  private final Rotator r;
  private final SecretStore store;
  private final KeyIssuer issuer;
  private final String secret;
  private final List<String> warnings = new ArrayList<>();
  /** The journal entry the store holds, as this run last read or wrote it. */
  private RotationJournal held;
  /** Whether this run wrote {@link #held} (and so owns the step it names). */
  private boolean claimed;
  /** The new key's value, while this run has it in memory. */
  private SecretValue newKey;
  /** Set when a resumed rotation had to be rolled back because its new key was lost. */
  private boolean lostKey;

  RotationRun(Rotator rotator) {
    this.r = rotator;
    this.store = rotator.store;
    this.issuer = rotator.issuer;
    this.secret = store.describe();
  }

  RotationResult rotate(boolean onlyIfDue) {
    RotationState state;
    try {
      state = store.read();
    } catch (RuntimeException e) {
      return failed("reading the secret failed", e);
    }
    if (state.activeRotation().isPresent()) {
      held = state.activeRotation().get();
      LOG.info("{}: resuming rotation {} at {}", secret, held.rotationId(), held.phase());
      RotationResult resumed = drive(state);
      if (!lostKey || resumed.outcome() != Outcome.ROLLED_BACK) {
        return resumed;
      }
      try {
        state = store.read();
      } catch (RuntimeException e) {
        return failed("reading the secret failed", e);
      }
      warnings.add("rotation " + held.rotationId() + " had lost its new key and was rolled back; started a new one");
      held = null;
      claimed = false;
      lostKey = false;
    } else if (onlyIfDue && !due(state, r.clock.instant())) {
      return result(Outcome.NOT_DUE, "not due"
          + r.schedule.dueAt(state.rotatedAt(), state.nextRotation()).map(t -> " until " + t).orElse(" (no schedule)"),
          Optional.empty());
    }
    return start(state);
  }

  RotationResult resume() {
    RotationState state;
    try {
      state = store.read();
    } catch (RuntimeException e) {
      return failed("reading the secret failed", e);
    }
    held = state.journal().orElse(null);
    if (state.activeRotation().isEmpty()) {
      return result(Outcome.NOTHING_TO_DO, "no rotation under way", Optional.empty());
    }
    LOG.info("{}: resuming rotation {} at {}", secret, held.rotationId(), held.phase());
    return drive(state);
  }

  RotationResult rollback() {
    RotationState state;
    try {
      state = store.read();
    } catch (RuntimeException e) {
      return failed("reading the secret failed", e);
    }
    held = state.journal().orElse(null);
    if (held == null || held.phase() == RotationPhase.ROLLED_BACK) {
      return result(Outcome.NOTHING_TO_DO, "no rotation to roll back", Optional.empty());
    }
    if (!issuer.allowsTwoLiveKeys()) {
      return result(Outcome.NEEDS_ATTENTION, "the issuer allows one live key: the old key ended when the new one "
          + "was issued and cannot be made current again; rotate again instead", Optional.empty());
    }
    if (held.phase() == RotationPhase.COMPLETED || held.phase() == RotationPhase.REVOKE_OLD) {
      return result(Outcome.NEEDS_ATTENTION, "the old key " + (held.phase() == RotationPhase.COMPLETED ? "was" : "may already be")
          + " revoked at the issuer; rolling back would make a revoked key current; rotate again instead",
          Optional.empty());
    }
    if (held.phase() != RotationPhase.ROLLBACK) {
      try {
        write(held.next(RotationPhase.ROLLBACK, r.clock.instant()).note("rollback requested at " + held.phase()));
      } catch (RotationConflictException e) {
        return conflict(e);
      } catch (RuntimeException e) {
        return failed("recording the rollback failed", e);
      }
    }
    return drive(state);
  }

  RotationStatus status(Instant now) {
    RotationState state = store.read();
    Optional<Instant> dueAt = r.schedule.dueAt(state.rotatedAt(), state.nextRotation());
    boolean due = dueAt.map(t -> !now.isBefore(t)).orElse(false);
    boolean overdue = dueAt.map(t -> !now.isBefore(t.plus(r.overdueAfter))).orElse(false);
    return new RotationStatus(secret, now, state.current().version(), state.rotatedAt(),
        state.nextRotation(), dueAt, due, overdue, state.journal());
  }

  private boolean due(RotationState state, Instant now) {
    return r.schedule.dueAt(state.rotatedAt(), state.nextRotation()).map(t -> !now.isBefore(t)).orElse(false);
  }

  // ---------------------------------------------------------------- start

  private RotationResult start(RotationState state) {
    if (state.pending().isPresent()) {
      StoredKey stuck = state.pending().get();
      String why = "a pending key (version " + stuck.version() + stuck.writtenBy().map(id -> ", rotation " + id).orElse("")
          + ") is left from a rotation that never finished; remove it or finish that rotation before rotating again";
      LOG.error("{}: {}", secret, why);
      warnings.add(why);
      return result(Outcome.NEEDS_ATTENTION, why, Optional.empty());
    }
    Instant now = r.clock.instant();
    String id = r.rotationIds.get();
    Optional<String> oldKeyId = currentKeyId(state);
    RotationJournal first;
    try {
      first = RotationJournal.start(id, state.nextSequence(), state.current().version(), now)
          .oldKeyId(oldKeyId.orElse(null)).build();
    } catch (IllegalArgumentException e) {
      return failed("the rotation id supplier gave an unusable id", e);
    }
    try {
      write(first);
    } catch (RotationConflictException e) {
      return conflict(e);
    } catch (RuntimeException e) {
      return failed("recording the start failed", e);
    }
    LOG.info("{}: rotation {} started (current version {})", secret, id, state.current().version());
    return drive(state);
  }

  /** The current key's id at the issuer: from the last journal, else the issuer's own lookup. */
  private Optional<String> currentKeyId(RotationState state) {
    Optional<String> fromJournal = state.journal().flatMap(j -> switch (j.phase()) {
      case COMPLETED -> j.newVersion().filter(v -> v.equals(state.current().version())).flatMap(v -> j.newKeyId());
      case ROLLED_BACK -> j.oldKeyId();
      default -> Optional.empty();
    });
    if (fromJournal.isPresent()) {
      return fromJournal;
    }
    try {
      return issuer.keyIdOf(state.current().value());
    } catch (RuntimeException e) {
      LOG.warn("{}: the issuer could not tell the current key's id: {}", secret, e.toString());
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- the state machine

  private RotationResult drive(RotationState state) {
    try {
      while (true) {
        Instant now = r.clock.instant();
        RotationResult done = switch (held.phase()) {
          case GENERATE -> generate();
          case STAGE -> stage(state);
          case DISTRIBUTE -> distribute(now);
          case VERIFY -> verify(state);
          case PROMOTE -> promote(state);
          case GRACE -> grace(now);
          case REVOKE_OLD -> revokeOld();
          case ROLLBACK -> rollBack(state);
          case COMPLETED -> result(Outcome.COMPLETED, completedMessage(), Optional.empty());
          case ROLLED_BACK -> result(held.note().filter(n -> n.startsWith(VERIFY_FAILED)).isPresent()
              ? Outcome.VERIFY_FAILED : Outcome.ROLLED_BACK, "rolled back" + held.note().map(n -> ": " + n).orElse(""),
              Optional.empty());
        };
        if (done != null) {
          return done;
        }
      }
    } catch (RotationConflictException e) {
      return conflict(e);
    } catch (RuntimeException e) {
      // a journal write or a store read failed: the journal in the store is where the next run starts
      return failed("step " + held.phase() + " failed", e);
    }
  }

  private static final String VERIFY_FAILED = "verification failed";

  /**
   * Writes a successor of the held entry for the same phase, so that this run owns the step. The
   * claim keeps the entry's note: it is the same step, and the note may say why it is taken (a
   * rollback of a lost key, a failed verification).
   */
  private void claim() {
    if (!claimed) {
      write(held.next(held.phase(), r.clock.instant()).note(held.note().orElse(null)));
    }
  }

  private void write(RotationJournal entry) {
    store.writeJournal(entry);
    held = entry;
    claimed = true;
  }

  private void write(RotationJournal.Builder entry) {
    write(entry.build());
  }

  private void advance(RotationJournal.Builder next) {
    write(next.build());
    LOG.info("{}: rotation {} at {}", secret, held.rotationId(), held.phase());
  }

  private RotationResult generate() {
    boolean resumed = !claimed;
    try {
      claim();
    } catch (RotationConflictException e) {
      throw e;
    } catch (RuntimeException e) {
      return failed("recording the claim of GENERATE failed", e);
    }
    if (resumed) {
      // a previous run may have stopped inside issue(): revoke what it may have created
      RotationResult failed = revokeKeysOfRotation("before issuing again");
      if (failed != null) {
        return failed;
      }
    }
    IssuedKey issued;
    try {
      issued = issuer.issue(held.rotationId());
    } catch (RuntimeException e) {
      return failed("the issuer could not create a key", e);
    }
    newKey = issued.value();
    try {
      advance(held.next(RotationPhase.STAGE, r.clock.instant()).newKeyId(issued.keyId()));
    } catch (RuntimeException e) {
      revokeQuietly(issued.keyId(), "its rotation could not record it");
      if (e instanceof RotationConflictException) {
        throw e;
      }
      return failed("recording the new key id failed (the key was revoked)", e);
    }
    try {
      store.stage(held, newKey);
    } catch (RotationConflictException e) {
      revokeQuietly(issued.keyId(), "another rotator won");
      throw e;
    } catch (RotationException e) {
      // the store refused the key for good (not a lost race): undo at once
      warnings.add("the store refused the new key: " + e.reason());
      advance(held.next(RotationPhase.ROLLBACK, r.clock.instant()).note("the store refused the new key: " + e.reason()));
      return null;
    } catch (RuntimeException e) {
      // the write may or may not have happened; the next step finds out from the store
      return failed("staging the new key failed", e);
    }
    advance(held.next(RotationPhase.DISTRIBUTE, r.clock.instant()).stagedAt(r.clock.instant()));
    return null;
  }

  /**
   * Revokes every key the issuer lists for the held rotation; a result when that fails.
   *
   * <p>The held entry was written by this run, but a racing run may take the rotation over at any
   * moment, issue a key for the same rotation id and promote it. So the keys are listed first, and
   * revoked only if the store still holds this run's entry after the listing: every key listed was
   * then issued by a run that owned the rotation before this one, whose key can no longer be
   * recorded, staged or promoted. A key issued by a later owner is never in the list. When the
   * store holds another entry this run has lost the rotation and stops without revoking anything.
   */
  private RotationResult revokeKeysOfRotation(String why) {
    if (!issuer.listsKeysByRotation()) {
      warnings.add("a run of rotation " + held.rotationId() + " stopped while the issuer was creating a key; "
          + "this issuer cannot list keys by rotation: check the service for a key labelled with the rotation id");
      return null;
    }
    List<String> left;
    try {
      left = issuer.keysIssuedFor(held.rotationId());
    } catch (RuntimeException e) {
      return failed("listing the keys issued for rotation " + held.rotationId() + " failed", e);
    }
    if (left.isEmpty()) {
      return null;
    }
    Optional<RotationJournal> inStore;
    try {
      inStore = store.read().journal();
    } catch (RuntimeException e) {
      return failed("reading the secret before revoking keys left by rotation " + held.rotationId() + " failed", e);
    }
    if (!inStore.filter(held::equals).isPresent()) {
      throw new RotationConflictException(secret, held.rotationId(), "another run took rotation " + held.rotationId()
          + " over before the keys it left at the issuer were revoked (store holds "
          + inStore.map(j -> "rotation " + j.rotationId() + " entry " + j.sequence() + " (" + j.phase() + ")").orElse("no journal")
          + "); its keys are left to the run that owns it");
    }
    try {
      for (String keyId : left) {
        issuer.revoke(keyId);
        LOG.info("{}: revoked key {} left by rotation {} {}", secret, keyId, held.rotationId(), why);
      }
      return null;
    } catch (RuntimeException e) {
      return failed("revoking keys left at the issuer by rotation " + held.rotationId() + " failed", e);
    }
  }

  private void revokeQuietly(String keyId, String why) {
    try {
      issuer.revoke(keyId);
      LOG.warn("{}: revoked new key {} of rotation {}: {}", secret, keyId, held.rotationId(), why);
    } catch (RuntimeException e) {
      warnings.add("key " + keyId + " of rotation " + held.rotationId() + " is left live at the issuer (" + why
          + ") and revoking it failed: " + e + "; revoke it by hand");
      LOG.error("{}: key {} of rotation {} is left live at the issuer ({}); revoking it failed", secret, keyId,
          held.rotationId(), why, e);
    }
  }

  /** Resumed at STAGE: the new key reached the store, or it is lost. */
  private RotationResult stage(RotationState state) {
    claim();
    Optional<StoredKey> pending = state.pending().filter(p -> held.rotationId().equals(p.rotationId()));
    if (pending.isEmpty()) {
      try {
        pending = store.read().pending().filter(p -> held.rotationId().equals(p.rotationId()));
      } catch (RuntimeException e) {
        return failed("reading the secret failed", e);
      }
    }
    if (pending.isPresent()) {
      newKey = pending.get().value();
      advance(held.next(RotationPhase.DISTRIBUTE, r.clock.instant()).stagedAt(r.clock.instant()));
      return null;
    }
    if (!issuer.allowsTwoLiveKeys()) {
      // the old key died when the lost one was issued: issue again (which ends the lost one)
      advance(held.next(RotationPhase.GENERATE, r.clock.instant()).newKeyId(null)
          .note("the new key never reached the store; issuing again"));
      return null;
    }
    lostKey = true;
    advance(held.next(RotationPhase.ROLLBACK, r.clock.instant())
        .note("the new key never reached the store (a run stopped while staging it)"));
    return null;
  }

  private RotationResult distribute(Instant now) {
    Instant ready = held.stagedAt().orElse(held.updatedAt()).plus(r.distributionDelay);
    if (now.isBefore(ready)) {
      return result(Outcome.DISTRIBUTING, "new key staged as pending; waiting for consumers to pick it up",
          Optional.of(ready));
    }
    advance(held.next(RotationPhase.VERIFY, now));
    return null;
  }

  private RotationResult verify(RotationState state) {
    claim();
    if (newKey == null) {
      Optional<StoredKey> pending;
      try {
        pending = store.read().pending().filter(p -> held.rotationId().equals(p.rotationId()));
      } catch (RuntimeException e) {
        return failed("reading the pending key failed", e);
      }
      if (pending.isEmpty()) {
        lostKey = true;
        advance(held.next(RotationPhase.ROLLBACK, r.clock.instant()).note("the pending key is gone from the store"));
        return null;
      }
      newKey = pending.get().value();
    }
    try {
      r.verifier.verify(newKey);
    } catch (RuntimeException e) {
      String why = VERIFY_FAILED + ": " + e;
      LOG.error("{}: rotation {}: the new key failed verification: {}", secret, held.rotationId(), e.toString());
      if (!issuer.allowsTwoLiveKeys()) {
        write(held.next(RotationPhase.VERIFY, r.clock.instant()).note(why));
        return result(Outcome.NEEDS_ATTENTION, why + "; the issuer allows one live key, so the old key cannot be "
            + "brought back: the new key stays pending; fix the service and resume, or rotate again", Optional.empty());
      }
      advance(held.next(RotationPhase.ROLLBACK, r.clock.instant()).note(why));
      return null;
    }
    Instant now = r.clock.instant();
    advance(promotedNow(held.next(RotationPhase.PROMOTE, now), now));
    return null;
  }

  /** Sets the promotion time, the end of the old key's grace window and the next rotation from {@code now}. */
  private RotationJournal.Builder promotedNow(RotationJournal.Builder entry, Instant now) {
    Instant graceEnds = issuer.allowsTwoLiveKeys() ? now.plus(r.gracePeriod) : now;
    return entry.promotedAt(now).graceEndsAt(graceEnds).nextRotation(r.schedule.nextAfter(now).orElse(null));
  }

  /**
   * Makes the new key current. The grace window counts from when that happens, never from when an
   * earlier run meant it to: a run resuming this step records the promotion time anew, before the
   * store call when the store has not promoted yet (so {@code rotated_at} is the real time too), and
   * after it when a stopped run already had (the time it happened is unknown; now is not earlier).
   */
  private RotationResult promote(RotationState state) {
    boolean resumed = !claimed;
    boolean promotedBefore = resumed && state.current().writtenBy().filter(held.rotationId()::equals).isPresent();
    if (resumed && !promotedBefore) {
      Instant now = r.clock.instant();
      write(promotedNow(held.next(RotationPhase.PROMOTE, now), now));
    } else {
      claim();
    }
    String version;
    try {
      version = store.promote(held);
    } catch (RotationConflictException e) {
      throw e;
    } catch (RuntimeException e) {
      return failed("promoting the new key failed", e);
    }
    Instant now = r.clock.instant();
    RotationJournal.Builder grace = held.next(RotationPhase.GRACE, now).newVersion(version);
    advance(promotedBefore ? promotedNow(grace, now) : grace);
    return null;
  }

  private RotationResult grace(Instant now) {
    Instant ends = held.graceEndsAt().orElseThrow();
    if (now.isBefore(ends)) {
      return result(Outcome.IN_GRACE, "new key version " + held.newVersion().orElse("?")
          + " is current; the old key stays valid until the grace window ends", Optional.of(ends));
    }
    if (!issuer.allowsTwoLiveKeys()) {
      advance(held.next(RotationPhase.REVOKE_OLD, now));
      return null;
    }
    UsageProbe.Usage usage = probe(now);
    if (usage.verdict() != UsageProbe.Verdict.UNUSED) {
      String why = "old key version " + held.oldVersion() + " not revoked: "
          + (usage.verdict() == UsageProbe.Verdict.IN_USE ? "still in use" : "usage unknown") + " (" + usage.detail() + ")";
      write(held.next(RotationPhase.GRACE, now).note(why));
      LOG.error("{}: rotation {}: {}; the next run asks again", secret, held.rotationId(), why);
      warnings.add(why);
      return result(Outcome.OLD_KEY_IN_USE, why, Optional.empty());
    }
    advance(held.next(RotationPhase.REVOKE_OLD, now).note(usage.detail()));
    return null;
  }

  private UsageProbe.Usage probe(Instant now) {
    try {
      return r.usageProbe.check(
          new UsageProbe.OldKey(held.oldVersion(), held.oldKeyId(), held.promotedAt().orElseThrow()), now);
    } catch (RuntimeException e) {
      return UsageProbe.Usage.unknown("the usage probe failed: " + e);
    }
  }

  private RotationResult revokeOld() {
    boolean resumed = !claimed;
    claim();
    Instant now = r.clock.instant();
    if (issuer.allowsTwoLiveKeys()) {
      if (resumed) {
        UsageProbe.Usage usage = probe(now);
        if (usage.verdict() != UsageProbe.Verdict.UNUSED) {
          write(held.next(RotationPhase.GRACE, now).note("old key in use again before revocation: " + usage.detail()));
          return null;
        }
      }
      if (held.oldKeyId().isPresent()) {
        try {
          issuer.revoke(held.oldKeyId().get());
        } catch (RuntimeException e) {
          String why = "revoking old key " + held.oldKeyId().get() + " failed: " + e + "; retried on the next run";
          write(held.next(RotationPhase.REVOKE_OLD, r.clock.instant()).note(why));
          LOG.warn("{}: rotation {}: {}", secret, held.rotationId(), why);
          warnings.add(why);
          return result(Outcome.REVOKE_FAILED, why, Optional.empty());
        }
        LOG.info("{}: rotation {}: old key {} revoked", secret, held.rotationId(), held.oldKeyId().get());
      } else {
        warnings.add("old key version " + held.oldVersion() + " was not revoked: its id at the issuer is unknown; "
            + "revoke it by hand");
      }
    }
    try {
      store.retirePrevious(held);
    } catch (RotationConflictException e) {
      throw e;
    } catch (RuntimeException e) {
      return failed("retiring the old version from the store failed", e);
    }
    RotationJournal.Builder done = held.next(RotationPhase.COMPLETED, r.clock.instant());
    if (!issuer.allowsTwoLiveKeys()) {
      done.note("the issuer allows one live key: the old key ended when the new one was issued");
    } else if (held.oldKeyId().isEmpty()) {
      done.note("old key not revoked: its id at the issuer is unknown");
    }
    advance(done);
    return null;
  }

  private String completedMessage() {
    return "new key version " + held.newVersion().orElse("?") + " is current"
        + (held.oldKeyId().isPresent() && issuer.allowsTwoLiveKeys() ? "; old key " + held.oldKeyId().get() + " revoked" : "")
        + held.note().map(n -> " (" + n + ")").orElse("");
  }

  private RotationResult rollBack(RotationState state) {
    claim();
    if (held.note().filter(n -> n.startsWith("the new key never reached") || n.startsWith("the pending key is gone")).isPresent()) {
      lostKey = true;
    }
    try {
      if (held.promotedAt().isPresent()) {
        store.restorePrevious(held);
      }
      store.discardPending(held);
    } catch (RotationConflictException e) {
      throw e;
    } catch (RuntimeException e) {
      return failed("rolling back the store failed", e);
    }
    if (held.newKeyId().isPresent()) {
      try {
        issuer.revoke(held.newKeyId().get());
      } catch (RuntimeException e) {
        return failed("revoking the new key " + held.newKeyId().get() + " failed (the rollback is retried on the next run)", e);
      }
    } else {
      RotationResult failed = revokeKeysOfRotation("rolling back");
      if (failed != null) {
        return failed;
      }
    }
    advance(held.next(RotationPhase.ROLLED_BACK, r.clock.instant()).note(held.note().orElse(null)));
    LOG.warn("{}: rotation {} rolled back{}", secret, held.rotationId(), held.note().map(n -> ": " + n).orElse(""));
    return null;
  }

  // ---------------------------------------------------------------- results

  private RotationResult result(Outcome outcome, String message, Optional<Instant> resumeAt) {
    return new RotationResult(secret, outcome, Optional.ofNullable(held), resumeAt, message, warnings);
  }

  private RotationResult failed(String what, RuntimeException e) {
    LOG.warn("{}: {}{}: {}", secret, what, held == null ? "" : " (rotation " + held.rotationId() + " at "
        + held.phase() + ", resumed by the next run)", e.toString());
    return result(Outcome.FAILED, what + ": " + e, Optional.empty());
  }

  private RotationResult conflict(RotationConflictException e) {
    LOG.warn("{}: stopped: another rotator changed the secret first: {}", secret, e.reason());
    try {
      held = store.read().journal().orElse(held);
    } catch (RuntimeException ignored) {
      // keep what we knew
    }
    return result(Outcome.CONFLICT, "another rotator changed the secret first: " + e.reason(), Optional.empty());
  }
}
