package io.github.rotate4j.spring.boot;

import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.vault.VaultKvProvider;
import io.github.rotate4j.vault.VaultLeaseProvider;
import io.github.rotate4j.vault.VaultSession;
import io.github.rotate4j.vault.VaultStaticRoleProvider;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Sources {@code vault-kv}, {@code vault-lease} and {@code vault-static-role}, sharing one {@link VaultSession} that is only
 * created when a credential needs it.
 */
final class VaultProviderFactory implements CredentialProviderFactory {

  private final Supplier<VaultSession> session;

  VaultProviderFactory(Supplier<VaultSession> session) {
    this.session = session;
  }

  @Override
  public Set<String> sources() {
    return Set.of("vault-kv", "vault-lease", "vault-static-role");
  }

  @Override
  public CredentialProvider create(String name, String source, Rotate4jProperties.Credential c) {
    String path = CredentialSettings.required(name, "path", c.getPath(), source);
    return switch (source) {
      case "vault-kv" -> VaultKvProvider.of(session.get(), c.getMount() != null ? c.getMount() : "secret", path);
      case "vault-lease" -> lease(name, c, path);
      case "vault-static-role" -> staticRole(name, c, path);
      default -> throw new IllegalArgumentException(source);
    };
  }

  /** A lease path; {@code max-ttl} declares the role's max TTL instead of reading it from the role. */
  private CredentialProvider lease(String name, Rotate4jProperties.Credential c, String path) {
    if (c.getMaxTtl() == null) {
      return VaultLeaseProvider.of(session.get(), path);
    }
    try {
      return VaultLeaseProvider.builder(session.get(), path).maxTtl(c.getMaxTtl()).build();
    } catch (IllegalArgumentException e) {
      throw new SettingException(CredentialSettings.property(name, "max-ttl"), e.getMessage(), e);
    }
  }

  /** {@code path: database/static-creds/orders}, or {@code mount: database} with {@code path: orders} (the role). */
  private CredentialProvider staticRole(String name, Rotate4jProperties.Credential c, String path) {
    try {
      return (c.getMount() != null
          ? VaultStaticRoleProvider.builder(session.get(), c.getMount(), path)
          : VaultStaticRoleProvider.builder(session.get(), path)).build();
    } catch (IllegalArgumentException e) {
      throw new SettingException(CredentialSettings.property(name, "path"), e.getMessage(), e);
    }
  }
}
