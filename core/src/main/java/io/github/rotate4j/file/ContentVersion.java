package io.github.rotate4j.file;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The version id of file content: the first 16 hex digits (64 bits) of an HMAC-SHA256 of the
 * content under a random key drawn once per process. Within a process the same content always gets
 * the same version, so an unchanged file is not a new version, and a file restored to an earlier
 * content gets that content's version back.
 *
 * <p>Versions are logged and put into events, and a secret may have little entropy (a six-digit
 * PIN). A plain hash would let anyone who sees a version try every candidate offline; without the
 * process's key, a version says nothing about the content. The price: two processes (two instances
 * of a service, or one instance before and after a restart) give the same content different
 * versions.
 */
final class ContentVersion {

  private static final int HEX_DIGITS = 16;
  private static final String ALGORITHM = "HmacSHA256";

  /** Drawn once per process, never leaves it. */
  private static final SecretKeySpec KEY = newKey();

  private ContentVersion() {}

  /** The version of a single file's bytes. */
  static String ofContent(byte[] content) {
    Mac mac = mac();
    mac.update(content);
    return shorten(mac.doFinal());
  }

  /**
   * The version of a set of files, given sorted by name. Each name and content is length-prefixed,
   * so that moving bytes between a name and a content, or between two files, changes the version.
   */
  static String ofEntries(List<VolumeReader.Entry> sortedEntries) {
    Mac mac = mac();
    ByteBuffer lengths = ByteBuffer.allocate(Integer.BYTES + Long.BYTES);
    for (VolumeReader.Entry e : sortedEntries) {
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      lengths.clear();
      lengths.putInt(name.length).putLong(e.content().length);
      mac.update(lengths.array());
      mac.update(name);
      mac.update(e.content());
    }
    return shorten(mac.doFinal());
  }

  private static String shorten(byte[] hmac) {
    return HexFormat.of().formatHex(hmac, 0, HEX_DIGITS / 2);
  }

  private static SecretKeySpec newKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return new SecretKeySpec(key, ALGORITHM);
  }

  private static Mac mac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(KEY);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is required by every Java platform", e);
    }
  }
}
