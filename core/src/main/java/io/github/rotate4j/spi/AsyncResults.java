package io.github.rotate4j.spi;

import io.github.rotate4j.PermanentBackendException;
import io.github.rotate4j.TransientBackendException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** Waits for a provider's stage on behalf of the blocking SPI methods. */
final class AsyncResults {

  private AsyncResults() {}

  @SuppressWarnings("NullAway") // a provider may break its contract and return null: that is reported
  static <T> T await(CompletionStage<T> stage, CredentialProvider provider, FetchContext context, String operation) {
    if (stage == null) {
      throw new PermanentBackendException(context.credentialName(), provider.backend(), provider.path(),
          "provider returned no stage from " + operation + "Async", null);
    }
    try {
      T result = stage.toCompletableFuture().get();
      if (result == null) {
        throw new PermanentBackendException(context.credentialName(), provider.backend(), provider.path(),
            "provider's " + operation + "Async completed with nothing", null);
      }
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransientBackendException(context.credentialName(), provider.backend(), provider.path(),
          "interrupted while waiting for " + operation + "Async", e);
    } catch (CancellationException e) {
      throw new TransientBackendException(context.credentialName(), provider.backend(), provider.path(),
          operation + "Async was cancelled", e);
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause() == null ? e : e.getCause(), provider, context, operation);
    }
  }

  private static RuntimeException rethrowable(Throwable cause, CredentialProvider provider, FetchContext context,
      String operation) {
    Throwable t = cause;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException re) {
      return re;
    }
    if (t instanceof Error error) {
      throw error;
    }
    // a checked exception (an IOException from an HTTP client): I/O is worth retrying, the rest is not
    String reason = operation + "Async failed: " + t;
    return t instanceof java.io.IOException || t instanceof java.util.concurrent.TimeoutException
        ? new TransientBackendException(context.credentialName(), provider.backend(), provider.path(), reason, t)
        : new PermanentBackendException(context.credentialName(), provider.backend(), provider.path(), reason, t);
  }
}
