package io.github.rotate4j.file;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The version id of file content: the first 16 hex digits (64 bits) of its SHA-256. The same
 * content always gets the same version, so an unchanged file is not a new version, and a file
 * restored to an earlier content gets that content's version back.
 */
final class ContentVersion {

  private static final int HEX_DIGITS = 16;

  private ContentVersion() {}

  /** The version of a single file's bytes. */
  static String ofContent(byte[] content) {
    MessageDigest digest = sha256();
    digest.update(content);
    return shorten(digest.digest());
  }

  /**
   * The version of a set of files, given sorted by name. Each name and content is length-prefixed,
   * so that moving bytes between a name and a content, or between two files, changes the version.
   */
  static String ofEntries(List<VolumeReader.Entry> sortedEntries) {
    MessageDigest digest = sha256();
    ByteBuffer lengths = ByteBuffer.allocate(Integer.BYTES + Long.BYTES);
    for (VolumeReader.Entry e : sortedEntries) {
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      lengths.clear();
      lengths.putInt(name.length).putLong(e.content().length);
      digest.update(lengths.array());
      digest.update(name);
      digest.update(e.content());
    }
    return shorten(digest.digest());
  }

  private static String shorten(byte[] sha256) {
    return HexFormat.of().formatHex(sha256, 0, HEX_DIGITS / 2);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
