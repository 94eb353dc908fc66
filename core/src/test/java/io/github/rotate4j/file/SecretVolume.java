package io.github.rotate4j.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a directory the way Kubernetes' atomic writer fills a Secret volume: each generation goes
 * into a new {@code ..<timestamp>} directory, a {@code ..data_tmp} symlink to it is renamed over
 * {@code ..data}, and every visible name is a symlink {@code key -> ..data/key}.
 */
final class SecretVolume {

  private final Path dir;
  private int generation;

  SecretVolume(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /** The generation directory {@code ..data} points at now. */
  Path currentGeneration() {
    try {
      return dir.resolve(Files.readSymbolicLink(dir.resolve("..data")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Publishes a new generation and removes the old one. */
  SecretVolume publish(Map<String, String> files) {
    Optional<Path> old = stage(files);
    old.ifPresent(SecretVolume::deleteTree);
    return this;
  }

  /**
   * Publishes a new generation but leaves the old generation directory in place, as a reader that
   * opened it before the swap still sees it.
   *
   * @return the old generation directory, if there was one
   */
  Optional<Path> stage(Map<String, String> files) {
    try {
      Files.createDirectories(dir);
      generation++;
      String name = String.format("..2026_11_22_00_00_%02d.%d", generation % 60, 1000 + generation);
      Path next = Files.createDirectory(dir.resolve(name));
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(next.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      Path data = dir.resolve("..data");
      Optional<Path> old = Files.isSymbolicLink(data)
          ? Optional.of(dir.resolve(Files.readSymbolicLink(data)))
          : Optional.empty();
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, Path.of(name));
      Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
      Set<String> visible = new HashSet<>();
      for (String key : files.keySet()) {
        visible.add(key);
        Path link = dir.resolve(key);
        if (!Files.isSymbolicLink(link)) {
          Files.createSymbolicLink(link, Path.of("..data").resolve(key));
        }
      }
      try (Stream<Path> children = Files.list(dir)) {
        for (Path child : children.toList()) {
          String n = child.getFileName().toString();
          if (!n.startsWith(".") && !visible.contains(n)) {
            Files.delete(child);
          }
        }
      }
      return old;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
