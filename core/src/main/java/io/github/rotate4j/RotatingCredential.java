package io.github.rotate4j;

import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.spi.CredentialProvider;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A credential that stays valid while the secret behind it rotates: fetched at start, cached,
 * refreshed ahead of expiry or polled for new versions, with retries, a circuit breaker and a key
 * ring that keeps the previous key valid for a grace window.
 *
 * <pre>{@code
 * try (RotatingCredential apiKey = RotatingCredential.builder("payments-api-key", provider).build()) {
 *   apiKey.start();                                   // first fetch, or a clear exception
 *   String key = apiKey.get().secretString();         // hot path: one volatile read
 *   String body = apiKey.call(c -> client.get(c));    // retries once with a fresh key on rejection
 * }
 * }</pre>
 *
 * <p><b>Thread safety:</b> every method is safe to call from any thread. {@link #get()} takes no
 * lock, does no I/O, allocates nothing and never waits for the network.
 *
 * <p><b>Lifecycle:</b> build, {@link #start()}, use, {@link #close()}. Closing cancels scheduled
 * work, revokes the leases this process obtained (unless turned off) and stops the threads it owns.
 */
public abstract class RotatingCredential implements AutoCloseable {

  /*
   * An abstract class rather than an interface on purpose: with a single subclass loaded, the JIT
   * binds get() statically (class hierarchy analysis), where an interface call keeps a type check
   * on the hot path (about 25% of a get(), see docs/BENCHMARKS.md). The constructor is
   * package-private: instances come from the builder.
   */
  RotatingCredential() {}

  /** Starts building a rotating credential named {@code name} that reads from {@code provider}. */
  public static RotatingCredentialBuilder builder(String name, CredentialProvider provider) {
    return new RotatingCredentialBuilder(name, provider);
  }

  /** The name given at build time; it appears in every message, event and metric. */
  public abstract String name();

  /**
   * Fetches the first credential synchronously, with retries, within the start-up timeout.
   * In lazy mode returns at once and fetches in the background.
   *
   * @return this
   * @throws CredentialStartupException naming the credential, backend, path and cause, if the first
   *     fetch fails or times out
   * @throws IllegalStateException if already started or closed
   */
  public abstract RotatingCredential start();

  /** Starts without waiting; the future completes when the first credential is in (or fails). */
  public abstract CompletableFuture<RotatingCredential> startAsync();

  /**
   * The current credential. Lock-free, allocation-free, no I/O.
   *
   * @throws CredentialExpiredException if the last credential reached its hard expiry without a
   *     replacement (an expired credential is never returned)
   * @throws CredentialUnavailableException if no credential was fetched yet (lazy start), or closed
   */
  public abstract Credential get();

  /**
   * The current key ring: current, pending and previous credentials still in their grace window.
   *
   * @throws CredentialUnavailableException if no credential was fetched yet
   */
  public abstract KeyRing keyRing();

  /**
   * Refreshes now. Single-flight: while a refresh is under way, callers join it instead of starting
   * another backend call. A request that finds a <em>scheduled</em> call already running (which may
   * have read the backend before the request was made) gets a fresh fetch once that call has ended,
   * if the rate limit ({@link RefreshPolicy#rejectionRateLimit()}) allows one; every caller in the
   * meantime joins that same follow-up.
   *
   * @return the credential after the refresh; fails if the refresh fails
   */
  public abstract CompletableFuture<Credential> refreshNow();

  /**
   * Reports that a downstream service rejected {@code rejected}. If it is still the current one, a
   * refresh is forced, at most once per {@link RefreshPolicy#rejectionRateLimit()}; otherwise the
   * current credential is returned as it is.
   *
   * @return the credential to use next
   */
  public abstract CompletableFuture<Credential> reportRejected(Credential rejected);

  /**
   * Runs {@code fn} with the current credential. If it is rejected, reports the rejection, waits for
   * the refresh and retries once with the new credential; if that is rejected too (or the refresh
   * brought nothing new), tries the pending key and then the previous keys still valid.
   *
   * @throws CredentialRejectedException (or the rejection the function threw last) when every valid
   *     key was rejected
   * @throws Exception whatever {@code fn} throws that is not a rejection
   */
  public abstract <T> T call(CredentialFunction<T> fn) throws Exception;

  /**
   * Checks a key somebody presented against every valid key in the ring (constant-time), and counts
   * the match by version, so an operator can see when the old key is no longer used.
   *
   * @return the matched version and slot, or empty for an unknown or no longer valid key
   */
  public abstract Optional<KeyMatch> verify(String presentedKey);

  /**
   * Matches counted by {@link #verify} since start, by version: for the versions in the key ring and
   * the last four that left it (older ones are forgotten, so that the map does not grow with every
   * rotation). {@link #matchCountsBySlot()} keeps monotonic totals for metrics.
   */
  public abstract Map<String, Long> matchCounts();

  /**
   * Matches counted by {@link #verify} since start, by slot (every slot present, zero included): how
   * many callers still present the previous key, or already the pending one.
   */
  public abstract Map<KeySlot, Long> matchCountsBySlot();

  /** Health and timing of this credential; never contains a secret. */
  public abstract CredentialStatus status();

  /**
   * Adds a listener; events run on the event executor. Each listener has its own bounded queue, so
   * a slow one never delays another (see {@link CredentialListener}).
   */
  public abstract void addListener(CredentialListener listener);

  /**
   * Removes a listener added with {@link #addListener} or the builder (compared by identity; if it
   * was added more than once, one of them goes). Events still waiting for it are dropped, and an
   * event it is handling right now is the last one it gets.
   *
   * @return whether the listener was registered
   */
  public abstract boolean removeListener(CredentialListener listener);

  /**
   * Cancels scheduled work, revokes this process's leases (if configured), waits a bounded time for
   * in-flight work and stops the threads this credential owns. Idempotent.
   */
  @Override
  public abstract void close();
}
