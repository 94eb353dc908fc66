package io.github.rotate4j.spi;

import io.github.rotate4j.Credential;
import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A provider whose backend calls complete asynchronously (the AWS SDK's async clients, the JDK
 * {@code HttpClient}'s {@code sendAsync}): while it waits for the network, no thread is held. The
 * engine calls {@link #fetchAsync} and {@link #renewAsync} instead of the blocking methods, so a
 * registry of a thousand such credentials starts in about one fetch's latency, where blocking calls
 * start in waves of the I/O pool's per-backend bound.
 *
 * <pre>{@code
 * final class TokenEndpointProvider implements AsyncCredentialProvider {
 *   public CompletionStage<FetchResult> fetchAsync(FetchContext context) {
 *     return http.sendAsync(request, BodyHandlers.ofString()).thenApply(this::toResult);
 *   }
 *   ...
 * }
 * }</pre>
 *
 * <p>Contract for implementations, beyond {@link CredentialProvider}'s:
 *
 * <ul>
 *   <li>{@code fetchAsync} and {@code renewAsync} are called on Rotate4j's I/O executor and should
 *       return quickly: start the request and return its stage. The calling thread is given back as
 *       soon as they return; one that blocks holds an I/O thread like a blocking provider.
 *   <li>The returned stage completes with the result, or exceptionally with a
 *       {@link TransientBackendException} or {@link PermanentBackendException} (directly or wrapped
 *       in a {@link java.util.concurrent.CompletionException}) classified as for blocking calls. A
 *       method that throws instead of returning a stage, or returns {@code null}, is a failure of
 *       that attempt.
 *   <li>The stage must complete, in time: bound every request with the client's own timeouts. The
 *       engine's attempt timeout fails the attempt, but it never cancels the stage (cancelling could
 *       drop an answer the backend already gave, such as a lease that then could be neither served
 *       nor revoked), and the credential's next call waits until the stage completes: at most one
 *       call per credential is outstanding, ever.
 *   <li>The stage may complete on any thread; the engine handles the answer on its own I/O executor,
 *       so a client's event-loop thread is never used for Rotate4j's work or its callers' callbacks.
 * </ul>
 *
 * <p><b>How many at once.</b> Each credential has at most one call outstanding. On Rotate4j's default
 * threads, at most {@code rotate4j.io.maxAsyncCallsPerBackend} (system property, default 1,000)
 * asynchronous calls are outstanding per {@link #backendId()}; further ones start, in order, as calls
 * end. Starting a call takes one of the backend's I/O threads ({@code rotate4j.io.maxCallsPerBackend})
 * only until {@code fetchAsync} returns. With an I/O executor of the caller's, the only bound is one
 * call per credential. The client's own connection pool may queue requests too.
 *
 * <p><b>Why a sub-interface.</b> The asynchronous methods are an addition a provider opts into, not a
 * default on {@link CredentialProvider}: a blocking provider stays exactly as it is and keeps running
 * on an I/O thread, and the engine never wraps blocking calls in futures (that would hold a thread
 * all the same, and hide it). A provider that can work either way, like the AWS provider with or
 * without an asynchronous client, builds an instance of this interface only when it has one.
 *
 * <p>The blocking {@link #fetch} and {@link #renew} wait for the asynchronous ones, so that code
 * calling a provider directly keeps working; the engine never uses them for an asynchronous provider.
 * {@link #revoke} stays blocking: it runs on close, on the I/O executor, once per lease. A stage that
 * is cancelled (by the provider or its client) counts as a transient failure.
 */
public interface AsyncCredentialProvider extends CredentialProvider {

  /**
   * Starts reading the secret as the backend holds it now.
   *
   * @return a stage that completes with what the backend holds, or exceptionally with a
   *     {@link TransientBackendException} or {@link PermanentBackendException}
   */
  CompletionStage<FetchResult> fetchAsync(FetchContext context);

  /**
   * Starts renewing a renewable lease; the stage completes with the credential and its new expiry.
   * Called only for credentials whose {@link Credential#renewable()} is true. The default completes
   * exceptionally with {@link UnsupportedOperationException}: a provider without leases needs none.
   */
  default CompletionStage<Credential> renewAsync(Credential lease, FetchContext context) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(backend() + " provider does not renew leases"));
  }

  /**
   * Waits for {@link #fetchAsync}; its failure is thrown as it is (not wrapped), so a
   * {@link TransientBackendException} or {@link PermanentBackendException} keeps its type.
   *
   * @throws TransientBackendException also when the waiting thread is interrupted (its interrupt
   *     flag is set again) or the stage was cancelled
   * @throws PermanentBackendException also when {@code fetchAsync} returned {@code null}
   */
  @Override
  default FetchResult fetch(FetchContext context) {
    return AsyncResults.await(fetchAsync(context), this, context, "fetch");
  }

  /**
   * Waits for {@link #renewAsync}, throwing its failure as it is (see {@link #fetch}).
   *
   * @throws UnsupportedOperationException if this provider has no leases
   */
  @Override
  default Credential renew(Credential lease, FetchContext context) {
    return AsyncResults.await(renewAsync(lease, context), this, context, "renew");
  }
}
