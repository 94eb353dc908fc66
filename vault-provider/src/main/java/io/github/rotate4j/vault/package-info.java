/**
 * HashiCorp Vault and OpenBao provider: {@link io.github.rotate4j.vault.VaultSession} (address,
 * TLS, namespace, authentication and the client token's lifecycle, shared by many credentials),
 * {@link io.github.rotate4j.vault.VaultAuth} (token, token file, AppRole, Kubernetes, JWT),
 * {@link io.github.rotate4j.vault.VaultKvProvider} (KV v2),
 * {@link io.github.rotate4j.vault.VaultLeaseProvider} (leased, dynamic secrets) and
 * {@link io.github.rotate4j.vault.VaultStaticRoleProvider} (database static roles).
 *
 * <p>No method returns {@code null}; absent values are {@link java.util.Optional}.
 */
@NullMarked
package io.github.rotate4j.vault;

import org.jspecify.annotations.NullMarked;
