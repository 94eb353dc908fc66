package io.github.rotate4j.samples.rotationjob.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.rotation.RotationConflictException;
import io.github.rotate4j.rotation.RotationException;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.SecretStore;
import io.github.rotate4j.rotation.StoredKey;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A {@link SecretStore} in one local JSON file, so that the demo keeps its keys and journal from one
 * run of the job to the next without any server. <b>Not for production</b>: the file holds the keys
 * in clear text (it is created readable by its owner only).
 *
 * <p>Each operation reads, checks and rewrites the file under an exclusive lock ({@code <file>.lock},
 * plus an in-process lock), and replaces it atomically, so racing rotators are fenced exactly as
 * {@link SecretStore} asks. Thread-safe.
 */
public final class FileSecretStore implements SecretStore {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private final Path file;

  /** A store on {@code file} (which {@link #initialize} creates). */
  public FileSecretStore(Path file) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
  }

  /** The file. */
  public Path file() {
    return file;
  }

  @Override
  public String describe() {
    return "file " + file;
  }

  /**
   * Writes the first key, as version {@code 1} created (and so "rotated") at {@code now}, when the
   * file does not exist yet; {@code first} is asked for the key only then.
   *
   * @return true when it wrote the key, false when the file already held one (left unchanged)
   */
  public boolean initialize(Supplier<SecretValue> first, Instant now) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(first, "first");
    return locked(() -> {
      if (Files.exists(file)) {
        return false;
      }
      Data d = new Data();
      d.current = new StoredKey("1", Objects.requireNonNull(first.get(), "first key"), null);
      d.rotatedAt = Optional.of(now);
      d.versions = 1;
      write(d);
      return true;
    });
  }

  @Override
  public RotationState read() {
    return locked(() -> load().state());
  }

  @Override
  public void writeJournal(RotationJournal entry) {
    Objects.requireNonNull(entry, "entry");
    update(d -> {
      Optional<RotationJournal> held = d.journal;
      long expected = held.map(RotationJournal::sequence).orElse(0L) + 1;
      boolean sameRotation = held.map(j -> j.rotationId().equals(entry.rotationId())).orElse(false);
      boolean heldOpen = held.map(j -> !j.phase().isTerminal()).orElse(false);
      if (entry.sequence() != expected || (heldOpen && !sameRotation)) {
        throw new RotationConflictException(describe(), entry.rotationId(), "expected the successor of "
            + held.map(j -> "journal " + j.rotationId() + " #" + j.sequence() + " (" + j.phase() + ")").orElse("no journal")
            + ", got #" + entry.sequence());
      }
      d.journal = Optional.of(entry);
      return d;
    });
  }

  @Override
  public void stage(RotationJournal journal, SecretValue value) {
    Objects.requireNonNull(value, "value");
    update(d -> {
      requireHeld(d, journal);
      if (d.pending.isPresent()) {
        if (journal.rotationId().equals(d.pending.get().rotationId())) {
          return null; // already staged
        }
        throw new RotationConflictException(describe(), journal.rotationId(),
            "another rotation's key is pending: " + d.pending.get());
      }
      if (journal.rotationId().equals(d.current.rotationId())) {
        return null; // staged and promoted already
      }
      d.pending = Optional.of(new StoredKey(Long.toString(++d.versions), value, journal.rotationId()));
      return d;
    });
  }

  @Override
  public String promote(RotationJournal journal) {
    String[] version = new String[1];
    update(d -> {
      requireHeld(d, journal);
      if (journal.rotationId().equals(d.current.rotationId())) {
        version[0] = d.current.version();
        return null;
      }
      if (!d.current.version().equals(journal.oldVersion())) {
        throw new RotationConflictException(describe(), journal.rotationId(),
            "current version is " + d.current.version() + ", not the rotation's old version " + journal.oldVersion());
      }
      StoredKey pending = d.pending.filter(p -> journal.rotationId().equals(p.rotationId()))
          .orElseThrow(() -> new RotationException(describe(), journal.rotationId(), "no pending key of this rotation to promote", null));
      d.rotatedAtBefore = d.rotatedAt;
      d.previous = Optional.of(d.current);
      d.current = pending;
      d.pending = Optional.empty();
      d.rotatedAt = journal.promotedAt().or(() -> Optional.of(journal.updatedAt()));
      d.nextRotation = journal.nextRotation();
      version[0] = pending.version();
      return d;
    });
    return version[0];
  }

  @Override
  public void discardPending(RotationJournal journal) {
    update(d -> {
      requireHeld(d, journal);
      if (d.pending.isEmpty() || !journal.rotationId().equals(d.pending.get().rotationId())) {
        return null;
      }
      d.pending = Optional.empty();
      return d;
    });
  }

  @Override
  public String restorePrevious(RotationJournal journal) {
    update(d -> {
      requireHeld(d, journal);
      if (d.current.version().equals(journal.oldVersion())) {
        return null; // restored already
      }
      StoredKey old = d.previous.filter(p -> p.version().equals(journal.oldVersion()))
          .orElseThrow(() -> new RotationException(describe(), journal.rotationId(),
              "the old version " + journal.oldVersion() + " is no longer held; cannot restore it", null));
      d.previous = Optional.of(d.current);
      d.current = old;
      d.rotatedAt = d.rotatedAtBefore;
      return d;
    });
    return journal.oldVersion();
  }

  @Override
  public void retirePrevious(RotationJournal journal) {
    update(d -> {
      requireHeld(d, journal);
      if (d.previous.isEmpty() || !d.previous.get().version().equals(journal.oldVersion())) {
        return null;
      }
      d.previous = Optional.empty();
      return d;
    });
  }

  /**
   * The consumers' view of this store: a provider whose key ring has the current key, the previous
   * key while the store serves it, and the pending key. Missing or unreadable files are reported as
   * permanent failures naming the file (the engine keeps serving what it has).
   */
  public CredentialProvider provider() {
    return new CredentialProvider() {
      @Override
      public String backend() {
        return "file-store";
      }

      @Override
      public String path() {
        return file.toString();
      }

      @Override
      public FetchResult fetch(FetchContext context) {
        RotationState s;
        try {
          s = read();
        } catch (RotationException e) {
          throw new PermanentBackendException(context.credentialName(), backend(), path(), e.getMessage(), e);
        } catch (UncheckedIOException e) {
          throw new TransientBackendException(context.credentialName(), backend(), path(), e.getMessage(), e);
        }
        Instant issued = s.rotatedAt().orElse(Instant.EPOCH);
        FetchResult.Builder b = FetchResult.builder(Credential.builder(s.current().version()).value(s.current().value())
            .issuedAt(issued).build());
        s.previous().ifPresent(k -> b.previous(Credential.builder(k.version()).value(k.value()).issuedAt(issued).build()));
        s.pending().ifPresent(k -> b.pending(Credential.builder(k.version()).value(k.value()).issuedAt(issued).build()));
        return b.build();
      }
    };
  }

  @Override
  public String toString() {
    return "FileSecretStore[" + file + "]";
  }

  // ------------------------------------------------------------------------------------------

  private void requireHeld(Data d, RotationJournal journal) {
    Objects.requireNonNull(journal, "journal");
    if (d.journal.isEmpty() || !d.journal.get().equals(journal)) {
      throw new RotationConflictException(describe(), journal.rotationId(), "the store holds "
          + d.journal.map(j -> "journal " + j.rotationId() + " #" + j.sequence() + " (" + j.phase() + ")").orElse("no journal")
          + ", not #" + journal.sequence() + " (" + journal.phase() + ")");
    }
  }

  /** Runs {@code change} on the file's data; a null result means "nothing to write". */
  private void update(UnaryOperator<Data> change) {
    locked(() -> {
      Data changed = change.apply(load());
      if (changed != null) {
        write(changed);
      }
      return null;
    });
  }

  private interface Action<T> {
    T run() throws IOException;
  }

  private <T> T locked(Action<T> action) {
    ReentrantLock local = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
    local.lock();
    try {
      Path dir = Optional.ofNullable(file.getParent()).orElse(Path.of("."));
      Files.createDirectories(dir);
      Path lockFile = dir.resolve(file.getFileName() + ".lock");
      try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock held = channel.lock();
        try {
          return action.run();
        } finally {
          held.release();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(describe() + ": " + e.getMessage(), e);
    } finally {
      local.unlock();
    }
  }

  private Data load() throws IOException {
    if (!Files.exists(file)) {
      throw new RotationException(describe(), null, "the file does not exist; write the first key with the job's 'init' command", null);
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new RotationException(describe(), null, "not a readable store file: " + e.getClass().getSimpleName(), null);
    }
    try {
      return Data.from(root);
    } catch (RuntimeException e) {
      throw new RotationException(describe(), null, "malformed store file: " + e.getMessage(), null);
    }
  }

  private void write(Data d) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(tmp);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("temporary file " + tmp + " appeared while writing", e);
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), d.toJson());
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The file's content; mutable, used only under the lock. */
  private static final class Data {
    StoredKey current;
    Optional<StoredKey> previous = Optional.empty();
    Optional<StoredKey> pending = Optional.empty();
    Optional<RotationJournal> journal = Optional.empty();
    Optional<Instant> rotatedAt = Optional.empty();
    Optional<Instant> rotatedAtBefore = Optional.empty();
    Optional<Instant> nextRotation = Optional.empty();
    long versions;

    RotationState state() {
      return new RotationState(current, previous, pending, journal, rotatedAt, nextRotation);
    }

    static Data from(JsonNode root) {
      Data d = new Data();
      d.current = key(root.get("current")).orElseThrow(() -> new IllegalArgumentException("no current key"));
      d.previous = key(root.get("previous"));
      d.pending = key(root.get("pending"));
      JsonNode journal = root.get("journal");
      if (journal != null && journal.isObject()) {
        Map<String, String> m = new HashMap<>();
        journal.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        d.journal = RotationJournal.fromMap(m);
      }
      d.rotatedAt = instant(root, "rotatedAt");
      d.rotatedAtBefore = instant(root, "rotatedAtBefore");
      d.nextRotation = instant(root, "nextRotation");
      d.versions = root.path("versions").asLong(0);
      return d;
    }

    ObjectNode toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.set("current", json(current));
      previous.ifPresent(k -> o.set("previous", json(k)));
      pending.ifPresent(k -> o.set("pending", json(k)));
      journal.ifPresent(j -> {
        ObjectNode jn = o.putObject("journal");
        j.toMap().forEach(jn::put);
      });
      rotatedAt.ifPresent(t -> o.put("rotatedAt", t.toString()));
      rotatedAtBefore.ifPresent(t -> o.put("rotatedAtBefore", t.toString()));
      nextRotation.ifPresent(t -> o.put("nextRotation", t.toString()));
      o.put("versions", versions);
      return o;
    }

    private static Optional<Instant> instant(JsonNode root, String field) {
      JsonNode v = root.get(field);
      return v == null || v.isNull() ? Optional.empty() : Optional.of(Instant.parse(v.asText()));
    }

    private static Optional<StoredKey> key(JsonNode n) {
      if (n == null || n.isNull()) {
        return Optional.empty();
      }
      String version = n.path("version").asText();
      JsonNode rotation = n.get("rotationId");
      JsonNode value = n.get("value");
      SecretValue secret;
      if (value != null && value.isTextual()) {
        secret = SecretValue.ofString(value.asText());
      } else if (value != null && value.isObject()) {
        Map<String, String> m = new HashMap<>();
        value.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        secret = SecretValue.ofMap(m);
      } else {
        throw new IllegalArgumentException("key version " + version + " has no text or map value");
      }
      return Optional.of(new StoredKey(version, secret, rotation == null || rotation.isNull() ? null : rotation.asText()));
    }

    private static ObjectNode json(StoredKey k) {
      ObjectNode o = JSON.createObjectNode();
      o.put("version", k.version());
      if (k.value() instanceof SecretValue.Text t) {
        o.put("value", t.value());
      } else if (k.value() instanceof SecretValue.KeyValue kv) {
        ObjectNode m = o.putObject("value");
        kv.value().forEach(m::put);
      } else {
        throw new IllegalArgumentException("the file store keeps text or map keys, not " + k.value().getClass().getSimpleName());
      }
      k.writtenBy().ifPresent(r -> o.put("rotationId", r));
      return o;
    }
  }
}
