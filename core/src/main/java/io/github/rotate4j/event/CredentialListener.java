package io.github.rotate4j.event;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Receives credential events. Every method has an empty default, so a listener implements only what
 * it cares about and new event types never break it.
 *
 * <h2>Sequence</h2>
 *
 * For one credential, events arrive in this order:
 *
 * <pre>
 * created                                   once, after the first successful fetch
 * ( renewed                                 a lease was extended (same version)
 * | rotated                                 a fetch brought a new version (or new content under the same version)
 * | refreshFailed+                          one per failed attempt, with its attempt number in the cycle
 * | expiring                                little time left on the current credential
 * | expired                                 the current credential ended without replacement; get() now throws
 * | overdue                                 the current version passed its planned rotation time
 * | circuitStateChanged                     the backend's breaker changed state
 * )*
 * </pre>
 *
 * <ul>
 *   <li>{@code rotated} events follow the backend's order: each names a newer version than the one
 *       before; a version never comes back.
 *   <li>After {@code expired}, the next success is a {@code rotated} (the old version to the new one).
 *   <li>{@code refreshFailed} events of one cycle count attempts 1, 2, …; a new cycle starts at 1
 *       again. {@link RefreshFailed#nextAttempt()} says when the engine tries again.
 *   <li>A breaker shared by several credentials reports its transitions to each of them.
 *   <li>Nothing is published after {@code close()} returns, except what is already queued.
 * </ul>
 *
 * <h2>Threads and lag</h2>
 *
 * Listeners run on Rotate4j's event executor, never inline with a refresh and never while the engine
 * holds its lock, so a listener may call any method of the credential ({@code refreshNow()} included:
 * forced refreshes are rate-limited). Each listener has its own queue and receives its events one at
 * a time, in order; a slow listener delays only itself. When a listener falls
 * {@value io.github.rotate4j.internal.EventDispatcher#DEFAULT_CAPACITY} events behind, its
 * <em>oldest</em> waiting events are dropped (a WARN when it starts, an INFO with the count when it
 * has caught up): a lagging listener gets the latest state rather than a growing backlog. An
 * exception thrown by a listener is logged and otherwise ignored.
 */
public interface CredentialListener {

  default void onCreated(CredentialCreated event) {}

  default void onRotated(CredentialRotated event) {}

  default void onRenewed(CredentialRenewed event) {}

  default void onRefreshFailed(RefreshFailed event) {}

  default void onExpiring(CredentialExpiring event) {}

  default void onExpired(CredentialExpired event) {}

  default void onCircuitStateChanged(CircuitStateChanged event) {}

  default void onOverdue(CredentialOverdue event) {}

  /** A listener that passes every event to one consumer. */
  static CredentialListener forEvery(Consumer<? super CredentialEvent> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return new CredentialListener() {
      @Override
      public void onCreated(CredentialCreated e) {
        consumer.accept(e);
      }

      @Override
      public void onRotated(CredentialRotated e) {
        consumer.accept(e);
      }

      @Override
      public void onRenewed(CredentialRenewed e) {
        consumer.accept(e);
      }

      @Override
      public void onRefreshFailed(RefreshFailed e) {
        consumer.accept(e);
      }

      @Override
      public void onExpiring(CredentialExpiring e) {
        consumer.accept(e);
      }

      @Override
      public void onExpired(CredentialExpired e) {
        consumer.accept(e);
      }

      @Override
      public void onCircuitStateChanged(CircuitStateChanged e) {
        consumer.accept(e);
      }

      @Override
      public void onOverdue(CredentialOverdue e) {
        consumer.accept(e);
      }
    };
  }
}
