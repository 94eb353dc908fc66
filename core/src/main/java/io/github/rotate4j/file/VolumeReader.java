package io.github.rotate4j.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a file or a directory of files so that the result is one consistent generation, even while
 * a writer replaces it.
 *
 * <p>Writers replace secrets atomically in two ways, and both are handled. Vault Agent and most
 * tools write a temporary file and rename it over the old one: the file is read between two
 * attribute reads, and a change of inode, size or modification time means it was replaced during
 * the read. Kubernetes (and the Secrets Store CSI driver) write each generation into a new hidden
 * directory {@code ..<timestamp>} and rename a {@code ..data_tmp} symlink over {@code ..data}; the
 * visible names are symlinks through {@code ..data}. Here the {@code ..data} target is resolved
 * once and every file is read inside that generation's directory, which is never modified, only
 * deleted once the next generation is in place. If the generation changes during the read, or its
 * directory vanishes under the reader, the whole read is done again, a few milliseconds later, up
 * to {@link #MAX_READS} times within the same fetch: a healthy writer never makes a fetch fail.
 */
final class VolumeReader {

  /** The symlink Kubernetes' atomic writer points at the current generation. */
  static final String DATA_LINK = "..data";

  private static final Logger log = LoggerFactory.getLogger(VolumeReader.class);

  /** One file read: its visible name, where it was read from, its bytes and modification time. */
  record Entry(String name, Path source, byte[] content, Instant modified) {}

  /**
   * How many times one fetch reads before it gives up on a writer that keeps swapping: with pauses
   * of 1, 2, 3, 4 and then 5 ms in between, about 0.1 s, far longer than one atomic swap takes.
   */
  static final int MAX_READS = 25;

  private static final int MAX_PAUSE_MILLIS = 5;

  /** Waits between two reads; a test may replace it. */
  @FunctionalInterface
  interface Pause {
    void pause(Duration duration) throws InterruptedIOException;

    static Pause sleeping() {
      return d -> {
        try {
          Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting to read again");
        }
      };
    }
  }

  private final ContentReader reader;
  private final long maxSize;
  private final Pause pause;

  VolumeReader(ContentReader reader, long maxSize, Pause pause) {
    this.reader = Objects.requireNonNull(reader, "reader");
    this.maxSize = maxSize;
    this.pause = Objects.requireNonNull(pause, "pause");
  }

  /** Reads one file, following symlinks. */
  Entry readFile(Path file) throws IOException {
    return consistently(file, () -> readFileOnce(file));
  }

  /** Reads the visible regular files of a directory, sorted by name. */
  List<Entry> readDirectory(Path dir) throws IOException {
    return consistently(dir, () -> readDirectoryOnce(dir));
  }

  @FunctionalInterface
  private interface Read<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code read} until it sees one generation: a writer that swapped the file or the
   * generation under it (or deleted the generation being read) makes it read again, a few
   * milliseconds later, up to {@link #MAX_READS} times. A path that is plainly missing is not
   * waited for: that is the engine's business. A file missing although {@code ..data} did not move
   * (a dangling symlink) is given two more looks, then reported as missing.
   */
  private <T> T consistently(Path location, Read<T> read) throws IOException {
    Path volume = Files.isDirectory(location) ? location : location.toAbsolutePath().getParent();
    int stillMissing = 0;
    for (int attempt = 1; ; attempt++) {
      Optional<Path> generation = volume == null ? Optional.empty() : dataTarget(volume);
      try {
        return read.run();
      } catch (NoSuchFileException | ChangedWhileReadingException e) {
        if (e instanceof NoSuchFileException) {
          boolean swapped = volume != null && !generation.equals(dataTarget(volume));
          if (!swapped && (!Files.exists(location) || ++stillMissing >= 3)) {
            throw e;
          }
        }
        if (attempt >= MAX_READS) {
          if (e instanceof ChangedWhileReadingException) {
            throw e;
          }
          ChangedWhileReadingException changing = new ChangedWhileReadingException(location, "kept changing while being read");
          changing.initCause(e);
          throw changing;
        }
        log.debug("{} changed or vanished while being read ({}); reading it again", location, e.getClass().getSimpleName());
        pause.pause(Duration.ofMillis(Math.min(attempt, MAX_PAUSE_MILLIS)));
      }
    }
  }

  private Entry readFileOnce(Path file) throws IOException {
    Path real = file.toRealPath();
    BasicFileAttributes before = Files.readAttributes(real, BasicFileAttributes.class);
    if (before.isDirectory()) {
      throw new WrongFileTypeException(file, "is a directory, not a file; read it with ofDirectory(...)");
    }
    if (!before.isRegularFile()) {
      throw new WrongFileTypeException(file, "is not a regular file");
    }
    Entry entry = readStable(String.valueOf(file.getFileName()), real, before);
    if (!file.toRealPath().equals(real)) {
      throw new ChangedWhileReadingException(file, "now resolves to another file");
    }
    return entry;
  }

  private List<Entry> readDirectoryOnce(Path dir) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class);
    if (!attributes.isDirectory()) {
      throw new WrongFileTypeException(dir, "is a file, not a directory; read it with ofFile(...)");
    }
    Optional<Path> generation = dataTarget(dir);
    Path base = generation.map(dir::resolve).orElse(dir);
    List<Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(base)) {
      for (Path child : children) {
        String name = child.getFileName().toString();
        if (name.startsWith(".")) {
          continue; // hidden files, ..data, ..data_tmp and the ..<timestamp> generations
        }
        BasicFileAttributes before = Files.readAttributes(child, BasicFileAttributes.class);
        if (before.isRegularFile()) {
          entries.add(readStable(name, child, before));
        }
      }
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    if (!generation.equals(dataTarget(dir))) {
      throw new ChangedWhileReadingException(dir, DATA_LINK + " was swapped to a new generation");
    }
    entries.sort(Comparator.comparing(Entry::name));
    return entries;
  }

  private Entry readStable(String name, Path file, BasicFileAttributes before) throws IOException {
    byte[] content = reader.read(file, maxSize);
    BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
    if (!Objects.equals(before.fileKey(), after.fileKey())
        || !before.lastModifiedTime().equals(after.lastModifiedTime())
        || before.size() != after.size()) {
      throw new ChangedWhileReadingException(file, "was replaced while being read");
    }
    return new Entry(name, file, content, after.lastModifiedTime().toInstant());
  }

  private static Optional<Path> dataTarget(Path dir) throws IOException {
    Path link = dir.resolve(DATA_LINK);
    if (!Files.isSymbolicLink(link)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readSymbolicLink(link));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The path exists but is a directory where a file was expected, or the other way round. */
  static final class WrongFileTypeException extends FileSystemException {
    WrongFileTypeException(Path file, String reason) {
      super(file.toString(), null, reason);
    }
  }

  /** The file is larger than the configured limit. */
  static final class FileTooLargeException extends FileSystemException {
    FileTooLargeException(Path file, long maxSize) {
      super(file.toString(), null, "is larger than the limit of " + maxSize + " bytes");
    }
  }

  /** A writer replaced the file or the generation during the read. */
  static final class ChangedWhileReadingException extends FileSystemException {
    ChangedWhileReadingException(Path file, String reason) {
      super(file.toString(), null, reason);
    }
  }
}
