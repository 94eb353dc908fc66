package io.github.rotate4j.samples.rotationjob.inventory;

import java.nio.file.Path;

/**
 * The inventory file cannot be read or is invalid. The message names the file, the entry (by index
 * and name when known) and the field.
 */
public final class InventoryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  InventoryException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
  }

  InventoryException(Path file, String message) {
    this(file, message, null);
  }
}
