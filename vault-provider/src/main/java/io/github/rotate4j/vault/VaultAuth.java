package io.github.rotate4j.vault;

import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link VaultSession} authenticates: a token (literal or read from a file such as a Vault
 * Agent sink), AppRole, Kubernetes service-account JWT, or any JWT. Immutable and thread-safe;
 * {@code toString()} never shows a token, secret id or JWT.
 *
 * <pre>{@code
 * VaultAuth.token(System.getenv("VAULT_TOKEN"));
 * VaultAuth.tokenFile(Path.of("/home/vault/.vault-token"));            // re-read when it changes
 * VaultAuth.appRole(roleId, Path.of("/run/secrets/secret-id"));          // secret id read at each login
 * VaultAuth.kubernetes("payments");                                      // service-account token file
 * VaultAuth.jwt("ci", () -> ciJwt()).atMount("jwt-gitlab");
 * }</pre>
 *
 * <p>With a login method (everything but a literal token), the session logs in again whenever its
 * token can no longer be renewed. A literal token cannot be replaced: once it reaches its end,
 * requests fail with a permanent "permission denied".
 */
public abstract class VaultAuth {

  /** The Kubernetes service-account token, as mounted into every pod. */
  public static final Path DEFAULT_KUBERNETES_JWT_FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  VaultAuth() {}

  /**
   * A fixed token. It is renewed while renewable but cannot be replaced.
   *
   * @throws IllegalArgumentException if {@code token} is null or blank, as it is when read from an
   *     environment variable that is not set
   */
  public static VaultAuth token(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("token must not be " + (token == null ? "null" : "blank")
          + "; if it is read from an environment variable such as VAULT_TOKEN, that variable is not set");
    }
    return new TokenAuth(token, null);
  }

  /**
   * A token read from a file, e.g. a Vault Agent sink; re-read whenever the file changes and when
   * the token it held can no longer be used.
   */
  public static VaultAuth tokenFile(Path file) {
    return new TokenAuth(null, Objects.requireNonNull(file, "file"));
  }

  /** AppRole login on mount {@code approle}. */
  public static VaultAuth appRole(String roleId, String secretId) {
    requireText("roleId", roleId);
    requireText("secretId", secretId);
    return new LoginAuth(Method.APPROLE, "approle", roleId, Source.of(secretId));
  }

  /** AppRole login on mount {@code approle}, reading the secret id from a file at each login. */
  public static VaultAuth appRole(String roleId, Path secretIdFile) {
    requireText("roleId", roleId);
    return new LoginAuth(Method.APPROLE, "approle", roleId, Source.of(Objects.requireNonNull(secretIdFile, "secretIdFile")));
  }

  /** Kubernetes login on mount {@code kubernetes} with the pod's service-account token ({@link #DEFAULT_KUBERNETES_JWT_FILE}). */
  public static VaultAuth kubernetes(String role) {
    return kubernetes(role, DEFAULT_KUBERNETES_JWT_FILE);
  }

  /** Kubernetes login on mount {@code kubernetes} with the service-account token in {@code jwtFile}, read at each login. */
  public static VaultAuth kubernetes(String role, Path jwtFile) {
    requireText("role", role);
    return new LoginAuth(Method.KUBERNETES, "kubernetes", role, Source.of(Objects.requireNonNull(jwtFile, "jwtFile")));
  }

  /** JWT/OIDC login on mount {@code jwt} with the token in {@code jwtFile}, read at each login. */
  public static VaultAuth jwt(String role, Path jwtFile) {
    requireText("role", role);
    return new LoginAuth(Method.JWT, "jwt", role, Source.of(Objects.requireNonNull(jwtFile, "jwtFile")));
  }

  /** JWT/OIDC login on mount {@code jwt}; {@code jwt} is asked for a fresh token at each login. */
  public static VaultAuth jwt(String role, Supplier<String> jwt) {
    requireText("role", role);
    return new LoginAuth(Method.JWT, "jwt", role, new Source(null, null, Objects.requireNonNull(jwt, "jwt")));
  }

  /**
   * The same login on another auth mount, e.g. {@code approle-prod}.
   *
   * @throws IllegalStateException for token authentication, which has no mount
   */
  public abstract VaultAuth atMount(String mount);

  /** The result of a login: the client token and what Vault said about its lifetime. */
  record Login(String token, Duration ttl, boolean renewable, @Nullable Object sourceStamp) {
    /** Whether the token ends by itself (root and periodic-less tokens with TTL 0 do not). */
    boolean expires() {
      return !ttl.isZero();
    }

    @Override
    public String toString() {
      return "Login[ttl=" + ttl + ", renewable=" + renewable + ", token=<redacted>]";
    }
  }

  /** Logs in (or, for a token, looks it up). */
  abstract Login login(VaultTransport transport);

  /** Whether {@link #login} can produce a new token once the current one is done. */
  abstract boolean canLogIn();

  /** Whether the source of {@code login}'s token has changed since (a token file rewritten). */
  boolean changedSince(Login login) {
    return false;
  }

  /** The path logged in at, for messages. */
  abstract String loginPath();

  private static void requireText(String name, String value) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  static String requireMount(String mount) {
    requireText("mount", mount);
    String m = mount.strip();
    while (m.startsWith("/")) {
      m = m.substring(1);
    }
    while (m.endsWith("/")) {
      m = m.substring(0, m.length() - 1);
    }
    if (m.isEmpty()) {
      throw new IllegalArgumentException("mount must name a path, but was '" + mount + "'");
    }
    return m;
  }

  static String readFile(Path file, String what, String path) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new TransientBackendException(VaultTransport.BACKEND, path, what + " file " + file + " is empty", null);
      }
      return text;
    } catch (IOException e) {
      throw new TransientBackendException(VaultTransport.BACKEND, path,
          "cannot read " + what + " file " + file + ": " + e.getClass().getSimpleName(), e);
    }
  }

  /** Parses the {@code auth} block of a login or renew-self response. */
  static Login loginFrom(JsonObject body, String path, @Nullable Object stamp) {
    VaultJson json = new VaultJson(null, path);
    JsonObject auth = json.object(body, "auth");
    String token = json.string(auth, "client_token");
    long ttl = json.number(auth, "lease_duration");
    return new Login(token, Duration.ofSeconds(ttl), json.bool(auth, "renewable", false), stamp);
  }

  enum Method {
    APPROLE("AppRole"), KUBERNETES("Kubernetes"), JWT("JWT");

    final String label;

    Method(String label) {
      this.label = label;
    }
  }

  /** Where a secret id or JWT comes from: a fixed value, a file or a supplier. */
  record Source(@Nullable String value, @Nullable Path file, @Nullable Supplier<String> supplier) {
    static Source of(String value) {
      return new Source(value, null, null);
    }

    static Source of(Path file) {
      return new Source(null, file, null);
    }

    String read(String what, String path) {
      if (value != null) {
        return value;
      }
      if (file != null) {
        return readFile(file, what, path);
      }
      String v = Objects.requireNonNull(supplier, "supplier").get();
      if (v == null || v.isBlank()) {
        throw new TransientBackendException(VaultTransport.BACKEND, path, what + " supplier returned nothing", null);
      }
      return v.strip();
    }

    String describe() {
      return value != null ? "<given>" : file != null ? file.toString() : "<supplier>";
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** A literal token or a token file. */
  static final class TokenAuth extends VaultAuth {
    private final @Nullable String token;
    private final @Nullable Path file;

    TokenAuth(@Nullable String token, @Nullable Path file) {
      this.token = token;
      this.file = file;
    }

    @Override
    public VaultAuth atMount(String mount) {
      throw new IllegalStateException("token authentication has no auth mount");
    }

    @Override
    Login login(VaultTransport transport) {
      String path = loginPath();
      Object stamp = file == null ? null : stamp(file);
      String t = file == null ? Objects.requireNonNull(token, "token") : readFile(file, "token", path);
      Vault driver = transport.driver(t, null);
      JsonObject body;
      try {
        body = transport.call(null, path, () -> driver.auth().lookupSelf().getRestResponse());
      } catch (BackendException e) {
        if (!VaultTransport.isPermissionDenied(e)) {
          throw e;
        }
        throw new PermanentBackendException(null, VaultTransport.BACKEND, path,
            "Vault rejected the token" + (file == null ? "" : " in " + file)
                + ": it is invalid, expired or revoked (HTTP 403 permission denied on " + path
                + "; a valid token gets this only without the default policy)", null, 403);
      }
      VaultJson json = new VaultJson(null, path);
      JsonObject data = json.object(body, "data");
      long ttl = json.number(data, "ttl");
      return new Login(t, Duration.ofSeconds(Math.max(0, ttl)), json.bool(data, "renewable", false), stamp);
    }

    @Override
    boolean canLogIn() {
      return file != null;
    }

    @Override
    boolean changedSince(Login login) {
      return file != null && !Objects.equals(stamp(file), login.sourceStamp());
    }

    private static @Nullable Object stamp(Path file) {
      try {
        FileTime modified = Files.getLastModifiedTime(file);
        return modified.toMillis() + "/" + Files.size(file);
      } catch (IOException e) {
        return null;
      }
    }

    @Override
    String loginPath() {
      return "auth/token/lookup-self";
    }

    @Override
    public String toString() {
      return file == null ? "VaultAuth[token]" : "VaultAuth[token file " + file + "]";
    }
  }

  /** AppRole, Kubernetes or JWT login. */
  static final class LoginAuth extends VaultAuth {
    private final Method method;
    private final String mount;
    private final String roleOrRoleId;
    private final Source credential;

    LoginAuth(Method method, String mount, String roleOrRoleId, Source credential) {
      this.method = method;
      this.mount = requireMount(mount);
      this.roleOrRoleId = roleOrRoleId;
      this.credential = credential;
    }

    @Override
    public VaultAuth atMount(String mount) {
      return new LoginAuth(method, mount, roleOrRoleId, credential);
    }

    @Override
    Login login(VaultTransport transport) {
      String path = loginPath();
      Vault driver = transport.driver(null, null);
      JsonObject body = switch (method) {
        case APPROLE -> {
          String secretId = credential.read("secret id", path);
          yield transport.call(null, path,
              () -> driver.auth().loginByAppRole(mount, roleOrRoleId, secretId).getRestResponse());
        }
        case KUBERNETES -> {
          String jwt = credential.read("service-account token", path);
          yield transport.call(null, path,
              () -> driver.auth().loginByKubernetes(roleOrRoleId, jwt, "auth/" + mount).getRestResponse());
        }
        case JWT -> {
          String jwt = credential.read("JWT", path);
          yield transport.call(null, path,
              () -> driver.auth().loginByJwt("jwt", roleOrRoleId, jwt, "auth/" + mount).getRestResponse());
        }
      };
      return loginFrom(body, path, null);
    }

    @Override
    boolean canLogIn() {
      return true;
    }

    @Override
    String loginPath() {
      return "auth/" + mount + "/login";
    }

    @Override
    public String toString() {
      return "VaultAuth[" + method.label + " at auth/" + mount
          + (method == Method.APPROLE ? ", secret id " : ", role " + roleOrRoleId + ", JWT ")
          + credential.describe() + "]";
    }
  }
}
