package io.github.rotate4j.event;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Receives credential events. Every method has an empty default, so a listener implements only what
 * it cares about and new event types never break it.
 *
 * <p>Listeners run on Rotate4j's event executor, never inline with a refresh. An exception thrown by
 * a listener is logged and otherwise ignored.
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
