package io.github.rotate4j.file;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns a file-system failure into a transient or permanent backend failure.
 *
 * <p>A file that does not exist is transient: agents and volume drivers often write after the
 * application has started, and a generation directory can vanish under a reader during a swap.
 * Permission denied, a file where a directory is expected (or the other way round) and an oversized
 * file are permanent: only a change of configuration fixes them. Other I/O errors are transient.
 * Messages name the path, never the content.
 */
final class FileFailures {

  private FileFailures() {}

  static BackendException classify(String credentialName, String path, IOException e) {
    String file = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile() : path;
    if (e instanceof NoSuchFileException) {
      return new TransientBackendException(credentialName, FileCredentialProvider.BACKEND, path,
          file + " does not exist (yet); waiting for its writer", e);
    }
    if (e instanceof AccessDeniedException) {
      return new PermanentBackendException(credentialName, FileCredentialProvider.BACKEND, path,
          "permission denied reading " + file + "; grant this process read access", e);
    }
    if (e instanceof VolumeReader.WrongFileTypeException
        || e instanceof VolumeReader.FileTooLargeException
        || e instanceof NotDirectoryException) {
      return new PermanentBackendException(credentialName, FileCredentialProvider.BACKEND, path,
          file + " " + reason(e), e);
    }
    if (e instanceof VolumeReader.ChangedWhileReadingException) {
      return new TransientBackendException(credentialName, FileCredentialProvider.BACKEND, path,
          file + " " + reason(e) + " on each of " + VolumeReader.MAX_READS
              + " reads within one fetch; will read it again later", e);
    }
    if (e instanceof FileSystemException) {
      Optional<Path> blocker = fileInTheWay(Path.of(file));
      if (blocker.isPresent()) {
        return new PermanentBackendException(credentialName, FileCredentialProvider.BACKEND, path,
            file + " cannot exist: " + blocker.get() + " is a file, not a directory", e);
      }
    }
    return new TransientBackendException(credentialName, FileCredentialProvider.BACKEND, path,
        "I/O error reading " + file + ": " + e.getClass().getSimpleName()
            + (e instanceof FileSystemException fse && fse.getReason() != null ? " (" + fse.getReason() + ")" : ""),
        e);
  }

  private static String reason(IOException e) {
    return e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : "is not usable";
  }

  /** The nearest ancestor of {@code file} that exists but is not a directory (ENOTDIR), if any. */
  private static Optional<Path> fileInTheWay(Path file) {
    for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        return Files.isDirectory(p) ? Optional.empty() : Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
