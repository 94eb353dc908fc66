package io.github.rotate4j.testing;

import io.github.rotate4j.Credential;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationConflictException;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationPhase;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.SecretStore;
import io.github.rotate4j.rotation.StoredKey;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SecretStore} in memory, with every write fenced atomically, version numbers like Vault
 * KV's, and {@link #faults()} to crash or fail any call ({@code store.<operation>.before} and
 * {@code .after}, operations {@code read}, {@code writeJournal}, {@code stage}, {@code promote},
 * {@code discardPending}, {@code restorePrevious}, {@code retirePrevious}).
 *
 * <p>{@link #provider(Clock)} gives the consumers' view: a {@link CredentialProvider} whose key ring
 * has the current key, the previous key while it is served, and the pending key.
 *
 * <pre>{@code
 * InMemorySecretStore store = InMemorySecretStore.create("payments-api-key", SecretValue.ofString(first), now);
 * RotatingCredential consumer = RotatingCredential.builder("payments", store.provider(time.clock())).build();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class InMemorySecretStore implements SecretStore {

  private final String name;
  private final ReentrantLock lock = new ReentrantLock();
  private final FaultPoints faults = new FaultPoints();
  private final List<Instant> createdTimes = new ArrayList<>();
  private int lastVersion;
  private StoredKey current;
  private @Nullable StoredKey previous;
  private @Nullable StoredKey pending;
  private @Nullable RotationJournal journal;
  private @Nullable Instant rotatedAt;
  private @Nullable Instant rotatedAtBefore;
  private @Nullable Instant nextRotation;
  private final List<String> writes = new ArrayList<>();

  private InMemorySecretStore(String name, SecretValue initial, Instant now) {
    this.name = Objects.requireNonNull(name, "name");
    this.current = new StoredKey(newVersion(now), Objects.requireNonNull(initial, "initial"), null);
  }

  /** A store holding {@code initial} as version 1, written at {@code now}, never rotated. */
  public static InMemorySecretStore create(String name, SecretValue initial, Instant now) {
    return new InMemorySecretStore(name, initial, now);
  }

  private String newVersion(Instant now) {
    createdTimes.add(now);
    return Integer.toString(++lastVersion);
  }

  /** The fault points of this store. */
  public FaultPoints faults() {
    return faults;
  }

  /** Sets the recorded rotation times, as an operator or an earlier tool would have. */
  public InMemorySecretStore schedule(Instant rotatedAt, Instant nextRotation) {
    lock.lock();
    try {
      this.rotatedAt = rotatedAt;
      this.nextRotation = nextRotation;
      return this;
    } finally {
      lock.unlock();
    }
  }

  /** Every successful write, in order, e.g. {@code stage r1}: for asserting what happened. */
  public List<String> writes() {
    lock.lock();
    try {
      return List.copyOf(writes);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String describe() {
    return "memory " + name;
  }

  @Override
  public RotationState read() {
    faults.at("store.read.before");
    RotationState s = snapshot();
    faults.at("store.read.after");
    return s;
  }

  /** The state now, without passing any fault point. */
  public RotationState snapshot() {
    lock.lock();
    try {
      return new RotationState(current, Optional.ofNullable(previous), Optional.ofNullable(pending),
          Optional.ofNullable(journal), Optional.ofNullable(rotatedAt), Optional.ofNullable(nextRotation));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void writeJournal(RotationJournal entry) {
    Objects.requireNonNull(entry, "entry");
    faults.at("store.writeJournal.before");
    lock.lock();
    try {
      long expected = journal == null ? 1 : journal.sequence() + 1;
      boolean sameRotation = journal != null && journal.rotationId().equals(entry.rotationId());
      boolean newRotation = (journal == null || journal.phase().isTerminal())
          && entry.phase() == RotationPhase.GENERATE && !sameRotation;
      if (entry.sequence() != expected || !(sameRotation || newRotation)) {
        throw new RotationConflictException(describe(), entry.rotationId(),
            "journal entry " + entry.sequence() + " (" + entry.phase() + ") does not follow the one held: "
                + (journal == null ? "none" : "rotation " + journal.rotationId() + " entry " + journal.sequence()
                    + " (" + journal.phase() + ")"));
      }
      journal = entry;
      writes.add("journal " + entry.rotationId() + " " + entry.phase());
    } finally {
      lock.unlock();
    }
    faults.at("store.writeJournal.after");
  }

  private void requireHeld(RotationJournal j, String operation) {
    if (journal == null || !journal.rotationId().equals(j.rotationId()) || journal.sequence() != j.sequence()) {
      throw new RotationConflictException(describe(), j.rotationId(),
          operation + " refused: the journal held is "
              + (journal == null ? "none" : "rotation " + journal.rotationId() + " entry " + journal.sequence())
              + ", not entry " + j.sequence());
    }
  }

  @Override
  public void stage(RotationJournal j, SecretValue value) {
    Objects.requireNonNull(value, "value");
    faults.at("store.stage.before");
    lock.lock();
    try {
      requireHeld(j, "stage");
      if (pending != null && !j.rotationId().equals(pending.rotationId())) {
        throw new RotationConflictException(describe(), j.rotationId(),
            "rotation " + pending.rotationId() + " has a key pending already");
      }
      pending = new StoredKey("pending-" + j.rotationId(), value, j.rotationId());
      writes.add("stage " + j.rotationId());
    } finally {
      lock.unlock();
    }
    faults.at("store.stage.after");
  }

  @Override
  public String promote(RotationJournal j) {
    faults.at("store.promote.before");
    String version;
    lock.lock();
    try {
      requireHeld(j, "promote");
      if (j.rotationId().equals(current.rotationId())) {
        version = current.version();
      } else {
        if (!current.version().equals(j.oldVersion())) {
          throw new RotationConflictException(describe(), j.rotationId(),
              "current version is " + current.version() + ", not the rotation's old version " + j.oldVersion());
        }
        if (pending == null || !j.rotationId().equals(pending.rotationId())) {
          throw new RotationException(describe(), j.rotationId(), "no key of this rotation is pending", null);
        }
        Instant at = j.promotedAt().orElseThrow(() -> new IllegalArgumentException("journal has no promotedAt"));
        previous = current;
        current = new StoredKey(newVersion(at), pending.value(), j.rotationId());
        pending = null;
        rotatedAtBefore = rotatedAt;
        rotatedAt = at;
        if (j.nextRotation().isPresent()) {
          nextRotation = j.nextRotation().get();
        }
        writes.add("promote " + j.rotationId());
        version = current.version();
      }
    } finally {
      lock.unlock();
    }
    faults.at("store.promote.after");
    return version;
  }

  @Override
  public void discardPending(RotationJournal j) {
    faults.at("store.discardPending.before");
    lock.lock();
    try {
      requireHeld(j, "discardPending");
      if (pending != null && j.rotationId().equals(pending.rotationId())) {
        pending = null;
        writes.add("discardPending " + j.rotationId());
      }
    } finally {
      lock.unlock();
    }
    faults.at("store.discardPending.after");
  }

  @Override
  public String restorePrevious(RotationJournal j) {
    faults.at("store.restorePrevious.before");
    String version;
    lock.lock();
    try {
      requireHeld(j, "restorePrevious");
      if (j.rotationId().equals(current.rotationId())) {
        if (previous == null || !previous.version().equals(j.oldVersion())) {
          throw new RotationException(describe(), j.rotationId(),
              "the old version " + j.oldVersion() + " is no longer held", null);
        }
        StoredKey restored = previous;
        previous = current;
        current = restored;
        rotatedAt = rotatedAtBefore;
        writes.add("restorePrevious " + j.rotationId());
      }
      version = current.version();
    } finally {
      lock.unlock();
    }
    faults.at("store.restorePrevious.after");
    return version;
  }

  @Override
  public void retirePrevious(RotationJournal j) {
    faults.at("store.retirePrevious.before");
    lock.lock();
    try {
      requireHeld(j, "retirePrevious");
      if (previous != null && previous.version().equals(j.oldVersion())) {
        previous = null;
        writes.add("retirePrevious " + j.rotationId());
      }
    } finally {
      lock.unlock();
    }
    faults.at("store.retirePrevious.after");
  }

  /**
   * The consumers' view of this store: a provider whose key ring has the current key, the previous
   * key while the store serves it, and the pending key. Not affected by {@link #faults()}.
   */
  public CredentialProvider provider(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    return new CredentialProvider() {
      @Override
      public String backend() {
        return "memory";
      }

      @Override
      public String path() {
        return name;
      }

      @Override
      public FetchResult fetch(FetchContext context) {
        RotationState s = snapshot();
        FetchResult.Builder b = FetchResult.builder(credential(s.current(), clock));
        s.previous().ifPresent(p -> b.previous(credential(p, clock)));
        s.pending().ifPresent(p -> b.pending(credential(p, clock)));
        return b.build();
      }
    };
  }

  private Credential credential(StoredKey key, Clock clock) {
    Instant issued;
    lock.lock();
    try {
      int n = key.version().startsWith("pending-") ? -1 : Integer.parseInt(key.version());
      issued = n > 0 ? createdTimes.get(n - 1) : clock.instant();
    } finally {
      lock.unlock();
    }
    return Credential.builder(key.version()).value(key.value()).issuedAt(issued).build();
  }

  @Override
  public String toString() {
    return "InMemorySecretStore[" + name + "]";
  }
}
