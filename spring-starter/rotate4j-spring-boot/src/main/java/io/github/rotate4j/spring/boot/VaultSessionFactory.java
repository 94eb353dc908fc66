package io.github.rotate4j.spring.boot;

import io.github.rotate4j.vault.VaultAuth;
import io.github.rotate4j.vault.VaultSession;
import java.util.List;
import java.util.Locale;

/** Builds the shared {@link VaultSession} from {@code rotate4j.vault.*}, then customizers, then the environment. */
final class VaultSessionFactory {

  static final List<String> AUTH_METHODS = List.of("token", "token-file", "approle", "kubernetes", "jwt");

  private VaultSessionFactory() {}

  static VaultSession create(Rotate4jProperties.Vault v, List<VaultSessionBuilderCustomizer> customizers) {
    VaultSession.Builder b = VaultSession.builder();
    if (v.getAddress() != null) {
      try {
        b.address(v.getAddress());
      } catch (IllegalArgumentException e) {
        throw new SettingException("rotate4j.vault.address", e.getMessage(), e);
      }
    }
    if (v.getNamespace() != null) {
      b.namespace(v.getNamespace());
    }
    if (v.getConnectTimeout() != null) {
      b.connectTimeout(v.getConnectTimeout());
    }
    if (v.getRequestTimeout() != null) {
      b.requestTimeout(v.getRequestTimeout());
    }
    if (v.getTls().getTrustPem() != null) {
      b.trustPem(v.getTls().getTrustPem());
    }
    if (v.getTls().isSkipVerify()) {
      b.skipTlsVerification();
    }
    VaultAuth auth = auth(v.getAuth());
    if (auth != null) {
      b.auth(auth);
    }
    customizers.forEach(c -> c.customize(b));
    try {
      b.fromEnvironment();
    } catch (IllegalArgumentException e) {
      throw new SettingException("rotate4j.vault.address", "must be set (or the BAO_ADDR / VAULT_ADDR environment variable)", e);
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new SettingException("rotate4j.vault", e.getMessage(), e);
    }
  }

  private static VaultAuth auth(Rotate4jProperties.Auth a) {
    String method = a.getMethod();
    if (method == null) {
      if (a.getToken() != null) {
        method = "token";
      } else if (a.getTokenFile() != null) {
        method = "token-file";
      } else {
        return null; // the environment's token, if any
      }
    }
    String m = method.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    VaultAuth auth = switch (m) {
      case "token" -> a.getToken() != null ? VaultAuth.token(a.getToken()) : null;
      case "token-file" -> VaultAuth.tokenFile(required(a.getTokenFile(), "token-file", m));
      case "approle" -> a.getSecretIdFile() != null
          ? VaultAuth.appRole(required(a.getRoleId(), "role-id", m), a.getSecretIdFile())
          : VaultAuth.appRole(required(a.getRoleId(), "role-id", m), required(a.getSecretId(), "secret-id", m));
      case "kubernetes" -> a.getJwtFile() != null
          ? VaultAuth.kubernetes(required(a.getRole(), "role", m), a.getJwtFile())
          : VaultAuth.kubernetes(required(a.getRole(), "role", m));
      case "jwt" -> VaultAuth.jwt(required(a.getRole(), "role", m), required(a.getJwtFile(), "jwt-file", m));
      default -> throw new SettingException("rotate4j.vault.auth.method",
          "'" + method + "' is not supported; allowed values: " + String.join(", ", AUTH_METHODS));
    };
    if (auth != null && a.getMount() != null) {
      if (m.startsWith("token")) {
        throw new SettingException("rotate4j.vault.auth.mount", "does not apply to token auth; allowed for: approle, kubernetes, jwt");
      }
      auth = auth.atMount(a.getMount());
    }
    return auth;
  }

  private static <T> T required(T value, String key, String method) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new SettingException("rotate4j.vault.auth." + key, "must be set for auth method " + method);
    }
    return value;
  }
}
