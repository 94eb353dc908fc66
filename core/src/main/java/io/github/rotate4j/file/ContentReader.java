package io.github.rotate4j.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the bytes of one regular file, refusing files larger than a limit. */
@FunctionalInterface
interface ContentReader {

  /**
   * @throws VolumeReader.FileTooLargeException if the file holds more than {@code maxSize} bytes
   * @throws IOException if the file cannot be read
   */
  byte[] read(Path file, long maxSize) throws IOException;

  /** Reads with {@link Files#newInputStream}, stopping one byte past the limit. */
  static ContentReader standard() {
    return (file, maxSize) -> {
      try (InputStream in = Files.newInputStream(file)) {
        int limit = maxSize >= Integer.MAX_VALUE - 8 ? Integer.MAX_VALUE - 8 : (int) maxSize + 1;
        byte[] bytes = in.readNBytes(limit);
        if (bytes.length > maxSize) {
          throw new VolumeReader.FileTooLargeException(file, maxSize);
        }
        return bytes;
      }
    };
  }
}
