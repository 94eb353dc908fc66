package io.github.rotate4j.testing;

import io.github.rotate4j.SecretValue;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationState;
import io.github.rotate4j.rotation.SecretStore;
import java.util.Objects;

/**
 * Wraps any {@link SecretStore} (a real Vault or AWS store, say) with the same {@link FaultPoints}
 * as {@link InMemorySecretStore}: {@code store.<operation>.before} and {@code .after} around each
 * call, so that a test can crash a rotation between the steps of a real backend.
 *
 * <p>Thread-safe if the wrapped store is.
 */
public final class FaultInjectingSecretStore implements SecretStore {

  private final SecretStore delegate;
  private final FaultPoints faults = new FaultPoints();

  private FaultInjectingSecretStore(SecretStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** Wraps {@code store}. */
  public static FaultInjectingSecretStore wrap(SecretStore store) {
    return new FaultInjectingSecretStore(store);
  }

  /** The fault points around the wrapped store's calls. */
  public FaultPoints faults() {
    return faults;
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public RotationState read() {
    faults.at("store.read.before");
    RotationState s = delegate.read();
    faults.at("store.read.after");
    return s;
  }

  @Override
  public void writeJournal(RotationJournal entry) {
    faults.at("store.writeJournal.before");
    delegate.writeJournal(entry);
    faults.at("store.writeJournal.after");
  }

  @Override
  public void stage(RotationJournal journal, SecretValue value) {
    faults.at("store.stage.before");
    delegate.stage(journal, value);
    faults.at("store.stage.after");
  }

  @Override
  public String promote(RotationJournal journal) {
    faults.at("store.promote.before");
    String v = delegate.promote(journal);
    faults.at("store.promote.after");
    return v;
  }

  @Override
  public void discardPending(RotationJournal journal) {
    faults.at("store.discardPending.before");
    delegate.discardPending(journal);
    faults.at("store.discardPending.after");
  }

  @Override
  public String restorePrevious(RotationJournal journal) {
    faults.at("store.restorePrevious.before");
    String v = delegate.restorePrevious(journal);
    faults.at("store.restorePrevious.after");
    return v;
  }

  @Override
  public void retirePrevious(RotationJournal journal) {
    faults.at("store.retirePrevious.before");
    delegate.retirePrevious(journal);
    faults.at("store.retirePrevious.after");
  }

  @Override
  public String toString() {
    return "FaultInjectingSecretStore[" + delegate + "]";
  }
}
