package io.github.rotate4j.vault;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster: initdb into a temp dir, listening on 127.0.0.1 on a free port,
 * its unix socket in that temp dir, password (SCRAM) authentication over TCP. Binaries from
 * {@code $PG_BIN} or the newest {@code /usr/lib/postgresql/<version>/bin} (Debian package
 * {@code postgresql}). initdb refuses to run as root, so as root every server command runs as the
 * {@code postgres} user through {@code runuser}.
 */
final class PostgresCluster implements AutoCloseable {

  static final String INSTALL_HINT = "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
      + "'apt-get install postgresql' (Debian/Ubuntu), or point PG_BIN at the directory holding initdb and pg_ctl";
  static final String SUPERUSER = "postgres";

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final String password;
  private final boolean asRoot;
  private volatile boolean running;
  private Thread stopOnExit;

  private PostgresCluster(Path bin, Path dir, int port, String password, boolean asRoot) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.password = password;
    this.asRoot = asRoot;
  }

  static PostgresCluster start() throws IOException, InterruptedException {
    Path bin = findBin(System.getenv(), Path.of("/usr/lib/postgresql"));
    boolean asRoot = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("rotate4j-pg-");
    String password = "pg-" + UUID.randomUUID();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    PostgresCluster pg = new PostgresCluster(bin, dir, port, password, asRoot);
    pg.stopOnExit = ShutdownHooks.register("rotate4j-postgres-stop", pg::close);
    try {
      pg.init();
      pg.startServer();
    } catch (IOException | RuntimeException | InterruptedException e) {
      pg.close();
      throw e;
    }
    return pg;
  }

  static Path findBin(java.util.Map<String, String> env, Path root) throws IOException {
    String override = env.get("PG_BIN");
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (!Files.isExecutable(p.resolve("initdb")) || !Files.isExecutable(p.resolve("pg_ctl"))) {
        throw new IllegalStateException("PG_BIN=" + override + " holds no initdb and pg_ctl. " + INSTALL_HINT);
      }
      return p;
    }
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        List<Path> found = versions
            .map(v -> v.resolve("bin"))
            .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
            .sorted(Comparator.comparing((Path b) -> versionOf(b)).reversed())
            .toList();
        if (!found.isEmpty()) {
          return found.get(0);
        }
      }
    }
    throw new IllegalStateException(INSTALL_HINT);
  }

  private static int versionOf(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void init() throws IOException, InterruptedException {
    Path pwfile = dir.resolve("pwfile");
    Files.writeString(pwfile, password + "\n");
    if (asRoot) {
      // the postgres user must be able to enter the directory and own everything in it
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      run(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
    }
    run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER,
        "--pwfile=" + pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"), true);
  }

  private void startServer() throws IOException, InterruptedException {
    String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off";
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-o", options,
        "-l", dir.resolve("postgres.log").toString(), "-w", "-t", "60", "start"), true);
    running = true;
  }

  private void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asPostgres && asRoot) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    Path out = Files.createTempFile("rotate4j-pg-cmd-", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " timed out");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed with " + p.exitValue() + ":\n" + Files.readString(out)
            + logTail());
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private String logTail() {
    try {
      Path log = dir.resolve("postgres.log");
      return Files.exists(log) ? "\npostgres.log:\n" + Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  int port() {
    return port;
  }

  String superuserPassword() {
    return password;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** The connection URL Vault's database engine uses, with templated credentials. */
  String vaultConnectionUrl() {
    return "postgresql://{{username}}:{{password}}@127.0.0.1:" + port + "/postgres?sslmode=disable";
  }

  Connection connect(String user, String pw) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user, pw);
  }

  /** Login roles that exist right now. */
  Set<String> roles() throws SQLException {
    Set<String> roles = new TreeSet<>();
    try (Connection c = connect(SUPERUSER, password);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select rolname from pg_roles")) {
      while (rs.next()) {
        roles.add(rs.getString(1));
      }
    }
    return roles;
  }

  @Override
  public void close() {
    if (running) {
      try {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
      } catch (IOException | RuntimeException e) {
        System.err.println("could not stop PostgreSQL in " + data + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running = false;
    }
    TempDirs.deleteQuietly(dir);
    ShutdownHooks.unregister(stopOnExit);
  }
}
