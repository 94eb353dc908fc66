package io.github.rotate4j.file;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.TransientBackendException;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads a secret from a file, or from a directory of files, as written by Vault Agent (templates
 * and sinks), the Secrets Store CSI driver or a Kubernetes Secret volume. Needs no server: this is
 * the provider to start with.
 *
 * <pre>{@code
 * // one file holding an API key; a trailing newline is stripped
 * CredentialProvider apiKey = FileCredentialProvider.ofFile(Path.of("/vault/secrets/api-key")).build();
 *
 * // a Kubernetes Secret volume with the keys "username" and "password"
 * CredentialProvider db = FileCredentialProvider.ofDirectory(Path.of("/etc/secrets/db"))
 *     .usernamePassword("username", "password")
 *     .build();
 * }</pre>
 *
 * <p><b>Values.</b> A file is read as UTF-8 text ({@link SecretValue.Text}) unless {@link
 * FileBuilder#binary()} or {@link FileBuilder#properties()} is chosen. A directory gives a
 * key/value map ({@link SecretValue.KeyValue}) of its visible regular files, name to UTF-8 content,
 * sorted by name: dot-files (including Kubernetes' {@code ..data} and {@code ..<timestamp>}
 * entries) and sub-directories are skipped, symlinks are followed. Either can be mapped to a
 * username and password. Text values lose one trailing line break ({@code \n} or {@code \r\n})
 * unless {@code keepTrailingNewline()} is set.
 *
 * <p><b>Versions.</b> The version of a credential is the first 16 hex digits of an HMAC-SHA256 of
 * the content under a random key drawn once per process (for a directory: of the sorted names and
 * contents of the files used). Polling an unchanged file therefore yields the same version, and the
 * credential already held (from {@link FetchContext#knownRing()}) is returned as it is, with its
 * original issue time. A logged version reveals nothing about a short secret, but two processes give
 * the same content different versions. The issue time is the file's last-modified time (for a
 * directory, that of the newest file used).
 *
 * <p><b>Consistency.</b> A read returns one generation of the secret even while its writer
 * replaces it: rename-over-the-old-file writers and Kubernetes' atomic {@code ..data} symlink swap
 * are both detected, and the read is done again, a few milliseconds later and up to 25 times within
 * the same fetch, if a swap happened under it: a busy writer never makes a fetch fail.
 *
 * <p><b>Failures.</b> A missing file or directory throws {@link TransientBackendException}: agents
 * and volume drivers often write after the application starts, so the engine retries. So does an
 * empty file, a directory without files, or a key file that is not there yet. Permission denied, a
 * directory where a file is expected (or the other way round), a file larger than {@link
 * #DEFAULT_MAX_SIZE} (or the configured limit), text that is not UTF-8 and a malformed properties
 * file throw {@link PermanentBackendException}. Messages name the path and never the content, nor the
 * key names of a properties file (a file holding only the secret, read as properties, would turn the
 * secret into a key name).
 *
 * <p><b>Thread safety:</b> immutable and safe to use from any thread. The provider holds no open
 * files between fetches; {@link #close()} does nothing.
 */
public final class FileCredentialProvider implements CredentialProvider {

  /** The backend name in messages, events and metrics. */
  public static final String BACKEND = "file";

  /** Files larger than this (1 MiB, as large as a Kubernetes Secret can be) are refused by default. */
  public static final long DEFAULT_MAX_SIZE = 1024 * 1024;

  private enum Format {
    TEXT("text file"),
    BINARY("binary file"),
    PROPERTIES("properties file"),
    DIRECTORY("directory");

    final String description;

    Format(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  private final Path location;
  private final Format format;
  private final boolean stripTrailingNewline;
  private final List<String> keys;
  private final @Nullable String usernameKey;
  private final @Nullable String passwordKey;
  private final long maxSize;
  private final VolumeReader reader;

  private FileCredentialProvider(
      Path location,
      Format format,
      boolean stripTrailingNewline,
      List<String> keys,
      @Nullable String usernameKey,
      @Nullable String passwordKey,
      long maxSize,
      ContentReader contentReader,
      VolumeReader.Pause pause) {
    this.location = location;
    this.format = format;
    this.stripTrailingNewline = stripTrailingNewline;
    this.keys = List.copyOf(keys);
    this.usernameKey = usernameKey;
    this.passwordKey = passwordKey;
    this.maxSize = maxSize;
    this.reader = new VolumeReader(contentReader, maxSize, pause);
  }

  /** Starts a provider for the secret held by one file (symlinks are followed). */
  public static FileBuilder ofFile(Path file) {
    return new FileBuilder(file);
  }

  /**
   * Starts a provider for the secret held by the files of one directory, such as a Kubernetes
   * Secret volume or a Secrets Store CSI mount.
   */
  public static DirectoryBuilder ofDirectory(Path directory) {
    return new DirectoryBuilder(directory);
  }

  /** {@value #BACKEND}. */
  @Override
  public String backend() {
    return BACKEND;
  }

  /** The file or directory, as configured. */
  @Override
  public String path() {
    return location.toString();
  }

  /**
   * Reads the file or directory now.
   *
   * @throws TransientBackendException if it does not exist yet, is empty, lacks a key file yet, kept
   *     being replaced during every read of this fetch, or another I/O error occurred
   * @throws PermanentBackendException if it cannot be read (permission), has the wrong type or size,
   *     or its content is not what the configuration expects
   */
  @Override
  public FetchResult fetch(FetchContext context) {
    String name = context.credentialName();
    List<VolumeReader.Entry> entries = read(name);
    String version = format == Format.DIRECTORY
        ? ContentVersion.ofEntries(entries)
        : ContentVersion.ofContent(entries.get(0).content());
    Optional<Credential> known = context.knownRing()
        .flatMap(ring -> ring.entry(version))
        .map(KeyRing.Entry::credential);
    if (known.isPresent()) {
      return FetchResult.of(known.get());
    }
    Instant issuedAt = entries.stream().map(VolumeReader.Entry::modified).max(Comparator.naturalOrder()).orElseThrow();
    Path source = format == Format.DIRECTORY ? entries.get(0).source().getParent() : entries.get(0).source();
    Credential credential = Credential.builder(version)
        .value(decode(name, entries))
        .issuedAt(issuedAt)
        .metadata("source", String.valueOf(source))
        .build();
    return FetchResult.of(credential);
  }

  private List<VolumeReader.Entry> read(String name) {
    try {
      if (format != Format.DIRECTORY) {
        VolumeReader.Entry entry = reader.readFile(location);
        if (entry.content().length == 0) {
          throw transientFailure(name, location + " is empty; its writer may not have finished");
        }
        return List.of(entry);
      }
      List<VolumeReader.Entry> all = reader.readDirectory(location);
      if (all.isEmpty()) {
        throw transientFailure(name, "directory " + location + " has no files yet");
      }
      if (keys.isEmpty()) {
        return all;
      }
      Set<String> present = all.stream().map(VolumeReader.Entry::name).collect(Collectors.toCollection(TreeSet::new));
      for (String key : keys) {
        if (!present.contains(key)) {
          throw transientFailure(name, "directory " + location + " has no file '" + key + "' yet (files: " + present + ")");
        }
      }
      return all.stream().filter(e -> keys.contains(e.name())).toList();
    } catch (IOException e) {
      throw FileFailures.classify(name, path(), e);
    }
  }

  private SecretValue decode(String name, List<VolumeReader.Entry> entries) {
    switch (format) {
      case BINARY:
        return SecretValue.ofBytes(entries.get(0).content());
      case TEXT:
        return SecretValue.ofString(text(name, entries.get(0)));
      case PROPERTIES:
        return fromMap(name, parseProperties(name, entries.get(0)), "properties file " + location + " has no key");
      case DIRECTORY:
      default:
        Map<String, String> values = new LinkedHashMap<>();
        for (VolumeReader.Entry e : entries) {
          values.put(e.name(), text(name, e));
        }
        return fromMap(name, values, "directory " + location + " has no file");
    }
  }

  @SuppressWarnings("NullAway") // both keys were checked present just above
  private SecretValue fromMap(String name, Map<String, String> values, String missingMessage) {
    if (usernameKey == null) {
      return SecretValue.ofMap(values);
    }
    for (String key : List.of(usernameKey, passwordKey)) {
      if (!values.containsKey(key)) {
        // the names found are not shown: a file that holds only the secret, read as properties,
        // turns the secret into a key name
        throw permanentFailure(name, missingMessage + " '" + key + "' (it has " + values.size()
            + (values.size() == 1 ? " key" : " keys") + "; their names are not shown, as they may be secret text"
            + (format == Format.PROPERTIES ? "; a file that holds only the secret is read with ofFile(...) alone" : "")
            + ")");
      }
    }
    return SecretValue.ofUsernamePassword(values.get(usernameKey), values.get(passwordKey));
  }

  private Map<String, String> parseProperties(String name, VolumeReader.Entry entry) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(text(name, entry)));
    } catch (IOException | IllegalArgumentException e) {
      // the parser's message is generic; the content is deliberately not quoted
      throw permanentFailure(name, entry.source() + " is not a valid properties file (key=value lines)");
    }
    if (properties.isEmpty()) {
      throw permanentFailure(name, entry.source() + " holds no key=value entries");
    }
    if (properties.values().stream().allMatch(v -> v.toString().isEmpty())) {
      // a line without '=' or ':' is a key without a value: most likely a file holding only the secret
      throw permanentFailure(name, entry.source() + " holds no key=value entries, only "
          + (properties.size() == 1 ? "a line" : properties.size() + " lines")
          + " without a value (not shown); a file that holds only the secret is read with ofFile(...) alone");
    }
    Map<String, String> sorted = new TreeMap<>();
    properties.stringPropertyNames().forEach(k -> sorted.put(k, properties.getProperty(k)));
    return sorted;
  }

  private String text(String name, VolumeReader.Entry entry) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(entry.content()))
          .toString();
    } catch (CharacterCodingException e) {
      throw permanentFailure(name, entry.source() + " is not UTF-8 text"
          + (format == Format.TEXT ? "; read it with binary()" : ""));
    }
    if (stripTrailingNewline && format != Format.PROPERTIES) {
      if (text.endsWith("\r\n")) {
        return text.substring(0, text.length() - 2);
      }
      if (text.endsWith("\n")) {
        return text.substring(0, text.length() - 1);
      }
    }
    return text;
  }

  private BackendException transientFailure(String name, String message) {
    return new TransientBackendException(name, BACKEND, path(), message, null);
  }

  private BackendException permanentFailure(String name, String message) {
    return new PermanentBackendException(name, BACKEND, path(), message, null);
  }

  /** Describes the configuration; never the content. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("FileCredentialProvider[")
        .append(format.description).append(' ').append(location);
    if (!keys.isEmpty() && usernameKey == null) {
      sb.append(", keys=").append(keys);
    }
    if (usernameKey != null) {
      sb.append(", username=").append(usernameKey).append(", password=").append(passwordKey);
    }
    if (format != Format.BINARY && format != Format.PROPERTIES) {
      sb.append(stripTrailingNewline ? ", strip trailing newline" : ", keep trailing newline");
    }
    if (maxSize != DEFAULT_MAX_SIZE) {
      sb.append(", maxSize=").append(maxSize);
    }
    return sb.append(']').toString();
  }

  private static <T> T once(String setting, @Nullable T current, T value) {
    Objects.requireNonNull(value, setting);
    if (current != null) {
      throw new IllegalStateException(setting + " was already set to " + current);
    }
    return value;
  }

  private static long positiveSize(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("maxSize must be greater than 0, but was " + bytes);
    }
    return bytes;
  }

  private static String key(String role, String key) {
    Objects.requireNonNull(key, role + " key");
    if (key.isBlank()) {
      throw new IllegalArgumentException(role + " key must not be blank");
    }
    return key;
  }

  /**
   * Configures a provider for one file. Not thread-safe; each setting may be made once. Defaults:
   * UTF-8 text, one trailing line break stripped, at most {@link #DEFAULT_MAX_SIZE} bytes.
   */
  public static final class FileBuilder {
    private final Path file;
    private @Nullable Format format;
    private @Nullable Boolean keepTrailingNewline;
    private @Nullable String usernameKey;
    private @Nullable String passwordKey;
    private @Nullable Long maxSize;
    private @Nullable ContentReader contentReader;
    private VolumeReader.@Nullable Pause pause;

    private FileBuilder(Path file) {
      this.file = Objects.requireNonNull(file, "file");
    }

    /** Keeps a trailing line break as part of the text (default: one is stripped). */
    public FileBuilder keepTrailingNewline() {
      this.keepTrailingNewline = once("keepTrailingNewline", keepTrailingNewline, Boolean.TRUE);
      return this;
    }

    /** Reads the file as raw bytes ({@link SecretValue.Binary}), byte for byte. */
    public FileBuilder binary() {
      this.format = once("format", format, Format.BINARY);
      return this;
    }

    /**
     * Reads the file as Java properties ({@code key=value} lines, {@code #} comments) into a
     * key/value map ({@link SecretValue.KeyValue}), sorted by key.
     */
    public FileBuilder properties() {
      this.format = once("format", format, Format.PROPERTIES);
      return this;
    }

    /**
     * Reads the file as properties (see {@link #properties()}) and maps two of its keys to a
     * username and password ({@link SecretValue.UsernamePassword}). A missing key is a permanent
     * failure: the file is complete but not what was expected.
     */
    public FileBuilder usernamePassword(String usernameKey, String passwordKey) {
      this.usernameKey = once("usernamePassword", this.usernameKey, key("username", usernameKey));
      this.passwordKey = key("password", passwordKey);
      if (format == null) {
        format = Format.PROPERTIES;
      } else if (format != Format.PROPERTIES) {
        throw new IllegalStateException("usernamePassword needs a properties file, but the format was set to " + format.description);
      }
      return this;
    }

    /** Refuses files larger than {@code bytes} (default {@link #DEFAULT_MAX_SIZE}). */
    public FileBuilder maxSize(long bytes) {
      this.maxSize = once("maxSize", maxSize, positiveSize(bytes));
      return this;
    }

    /** For tests: how file content is read. */
    FileBuilder contentReader(ContentReader reader) {
      this.contentReader = once("contentReader", contentReader, reader);
      return this;
    }

    /** For tests: how the reader waits before reading a swapped file again. */
    FileBuilder pause(VolumeReader.Pause pause) {
      this.pause = once("pause", this.pause, pause);
      return this;
    }

    /**
     * Builds the provider; nothing is read until the first fetch.
     *
     * @throws IllegalStateException if {@code keepTrailingNewline()} was combined with {@code binary()}
     *     or {@code properties()}, where it has no meaning
     */
    public FileCredentialProvider build() {
      Format f = format == null ? Format.TEXT : format;
      if (keepTrailingNewline != null && f != Format.TEXT) {
        throw new IllegalStateException("keepTrailingNewline applies to text files, not to a " + f.description);
      }
      return new FileCredentialProvider(file, f, keepTrailingNewline == null, List.of(), usernameKey, passwordKey,
          maxSize == null ? DEFAULT_MAX_SIZE : maxSize, contentReader == null ? ContentReader.standard() : contentReader,
          pause == null ? VolumeReader.Pause.sleeping() : pause);
    }
  }

  /**
   * Configures a provider for a directory of files. Not thread-safe; each setting may be made once.
   * Defaults: every visible regular file, as UTF-8 text with one trailing line break stripped, each
   * at most {@link #DEFAULT_MAX_SIZE} bytes.
   */
  public static final class DirectoryBuilder {
    private final Path directory;
    private @Nullable Boolean keepTrailingNewline;
    private @Nullable List<String> keys;
    private @Nullable String usernameKey;
    private @Nullable String passwordKey;
    private @Nullable Long maxSize;
    private @Nullable ContentReader contentReader;
    private VolumeReader.@Nullable Pause pause;

    private DirectoryBuilder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** Keeps a trailing line break in each value (default: one is stripped). */
    public DirectoryBuilder keepTrailingNewline() {
      this.keepTrailingNewline = once("keepTrailingNewline", keepTrailingNewline, Boolean.TRUE);
      return this;
    }

    /**
     * Uses only these files (others, e.g. binary key stores next to a password, are not read as
     * text and do not affect the version). Until all of them exist, fetches fail transiently.
     */
    public DirectoryBuilder keys(String... names) {
      Objects.requireNonNull(names, "names");
      if (names.length == 0) {
        throw new IllegalArgumentException("keys must name at least one file, but was empty");
      }
      List<String> list = new ArrayList<>();
      for (String n : names) {
        String k = key("file", n);
        if (k.startsWith(".") || k.contains("/")) {
          throw new IllegalArgumentException("keys must be visible file names in the directory, but was '" + k + "'");
        }
        list.add(k);
      }
      this.keys = once("keys", keys, List.copyOf(list));
      return this;
    }

    /**
     * Maps two files to a username and password ({@link SecretValue.UsernamePassword}); only these
     * two files are read. Until both exist, fetches fail transiently.
     */
    public DirectoryBuilder usernamePassword(String usernameFile, String passwordFile) {
      String u = key("username", usernameFile);
      String p = key("password", passwordFile);
      keys(u, p);
      this.usernameKey = u;
      this.passwordKey = p;
      return this;
    }

    /** Refuses files larger than {@code bytes} (default {@link #DEFAULT_MAX_SIZE}). */
    public DirectoryBuilder maxSize(long bytes) {
      this.maxSize = once("maxSize", maxSize, positiveSize(bytes));
      return this;
    }

    /** For tests: how file content is read. */
    DirectoryBuilder contentReader(ContentReader reader) {
      this.contentReader = once("contentReader", contentReader, reader);
      return this;
    }

    /** For tests: how the reader waits before reading a swapped generation again. */
    DirectoryBuilder pause(VolumeReader.Pause pause) {
      this.pause = once("pause", this.pause, pause);
      return this;
    }

    /** Builds the provider; nothing is read until the first fetch. */
    public FileCredentialProvider build() {
      return new FileCredentialProvider(directory, Format.DIRECTORY, keepTrailingNewline == null,
          keys == null ? List.of() : keys, usernameKey, passwordKey,
          maxSize == null ? DEFAULT_MAX_SIZE : maxSize, contentReader == null ? ContentReader.standard() : contentReader,
          pause == null ? VolumeReader.Pause.sleeping() : pause);
    }
  }
}
