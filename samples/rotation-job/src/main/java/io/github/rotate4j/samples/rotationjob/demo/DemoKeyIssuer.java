package io.github.rotate4j.samples.rotationjob.demo;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.IssuedKey;
import io.github.rotate4j.rotation.KeyIssuer;
import io.github.rotate4j.rotation.KeyVerifier;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link KeyIssuer} for one account of a {@link DemoKeyService}: the model for an issuer of a
 * real provider's API keys. Keys are labelled {@code rotate4j-<rotationId>} so that a run stopped
 * half-way finds them again, the service reports last use, and two keys may live at once.
 *
 * <p>The store holds the bare secret ({@code dk.<id>.<random>}), which names its key id, so even the
 * very first rotation knows which key to revoke ({@link #keyIdOf}). Thread-safe.
 */
public final class DemoKeyIssuer implements KeyIssuer {

  /** Prefix of the label each key carries: {@code rotate4j-<rotationId>}. */
  public static final String LABEL_PREFIX = "rotate4j-";

  private final DemoKeyClient client;
  private final String account;

  /**
   * An issuer for {@code account} at the service {@code client} talks to.
   *
   * @throws IllegalArgumentException when the account is blank
   */
  public DemoKeyIssuer(DemoKeyClient client, String account) {
    this.client = Objects.requireNonNull(client, "client");
    this.account = Objects.requireNonNull(account, "account");
    if (account.isBlank()) {
      throw new IllegalArgumentException("account must not be blank");
    }
  }

  @Override
  public IssuedKey issue(String rotationId) {
    DemoKeyClient.CreatedKey key = client.create(account, Optional.of(LABEL_PREFIX + rotationId));
    return new IssuedKey(key.id(), SecretValue.ofString(key.secret()));
  }

  @Override
  public void revoke(String keyId) {
    client.revoke(keyId); // false: unknown to the service, which is as revoked as it gets
  }

  @Override
  public Optional<Instant> lastUsed(String keyId) {
    return client.get(keyId).flatMap(DemoKeyService.KeyInfo::lastUsedAt);
  }

  @Override
  public boolean reportsLastUse() {
    return true;
  }

  @Override
  public List<String> keysIssuedFor(String rotationId) {
    return client.listLabelled(account, LABEL_PREFIX + rotationId).stream()
        .filter(DemoKeyService.KeyInfo::live).map(DemoKeyService.KeyInfo::id).toList();
  }

  @Override
  public boolean listsKeysByRotation() {
    return true;
  }

  @Override
  public Optional<String> keyIdOf(SecretValue value) {
    return secretOf(value).flatMap(DemoKeyClient::keyIdOf);
  }

  /**
   * The demo secret in a stored value: the text itself, or, where a store keeps maps (Vault KV), the
   * single entry or the entry {@code value}.
   */
  public static Optional<String> secretOf(SecretValue value) {
    if (value instanceof SecretValue.Text t) {
      return Optional.of(t.value());
    }
    if (value instanceof SecretValue.KeyValue kv) {
      if (kv.value().size() == 1) {
        return Optional.of(kv.value().values().iterator().next());
      }
      return Optional.ofNullable(kv.value().get("value"));
    }
    return Optional.empty();
  }

  /** Checks a key by making the authenticated call with it: it works when the service answers 200. */
  public KeyVerifier verifier() {
    return key -> {
      String secret = secretOf(key).orElseThrow(() -> new IllegalStateException(
          "the demo key service takes text keys, not " + key.getClass().getSimpleName()));
      if (client.ping(secret).isEmpty()) {
        throw new IllegalStateException("the demo key service at " + client.uri() + " answered 401 to the new key of '"
            + account + "'");
      }
    };
  }

  /** The account whose keys this issuer manages. */
  public String account() {
    return account;
  }

  @Override
  public String toString() {
    return "DemoKeyIssuer[" + client.uri() + ", account " + account + "]";
  }
}
