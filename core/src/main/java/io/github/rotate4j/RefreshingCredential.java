package io.github.rotate4j;

import io.github.rotate4j.event.CredentialListener;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The refresh engine. Work in progress: the API compiles, the engine lands next. */
final class RefreshingCredential implements RotatingCredential {
  private final RotatingCredentialBuilder b;

  RefreshingCredential(RotatingCredentialBuilder b, Object shared) {
    this.b = b;
  }

  @Override public String name() { return b.name; }
  @Override public RotatingCredential start() { throw new UnsupportedOperationException(); }
  @Override public CompletableFuture<RotatingCredential> startAsync() { throw new UnsupportedOperationException(); }
  @Override public Credential get() { throw new UnsupportedOperationException(); }
  @Override public KeyRing keyRing() { throw new UnsupportedOperationException(); }
  @Override public CompletableFuture<Credential> refreshNow() { throw new UnsupportedOperationException(); }
  @Override public CompletableFuture<Credential> reportRejected(Credential rejected) { throw new UnsupportedOperationException(); }
  @Override public <T> T call(CredentialFunction<T> fn) { throw new UnsupportedOperationException(); }
  @Override public Optional<KeyMatch> verify(String presentedKey) { throw new UnsupportedOperationException(); }
  @Override public Map<String, Long> matchCounts() { throw new UnsupportedOperationException(); }
  @Override public CredentialStatus status() { throw new UnsupportedOperationException(); }
  @Override public void addListener(CredentialListener listener) { throw new UnsupportedOperationException(); }
  @Override public void close() {}
}
