package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import org.junit.jupiter.api.Test;

class CallTest {

  private final Fixture f = new Fixture();

  /** A downstream service that accepts only the keys it was told about. */
  private static final class Downstream {
    final Set<String> accepted = new CopyOnWriteArraySet<>();
    final List<String> presented = new ArrayList<>();

    String request(Credential c) {
      presented.add(c.secretString());
      if (!accepted.contains(c.secretString())) {
        throw new CredentialRejectedException("401 from downstream");
      }
      return "ok:" + c.version();
    }
  }

  @Test
  void call_onRejection_refreshesAndRetriesOnceWithTheNewKey() throws Exception {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    Downstream downstream = new Downstream();
    downstream.accepted.add("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThat(c.call(downstream::request)).isEqualTo("ok:1");
      backend.rotate("key-2");
      downstream.accepted.clear();
      downstream.accepted.add("key-2");
      downstream.presented.clear();
      assertThat(c.call(downstream::request)).isEqualTo("ok:2");
      assertThat(downstream.presented).containsExactly("key-1", "key-2");
      assertThat(backend.fetchCount()).isEqualTo(2);
    }
  }

  @Test
  void call_whenRefreshBringsNothingNew_triesThePendingKey() throws Exception {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    Downstream downstream = new Downstream();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.stage("key-2"); // setSecret done: downstream already switched, not promoted yet
      downstream.accepted.add("key-2");
      assertThat(c.call(downstream::request)).isEqualTo("ok:2");
      assertThat(downstream.presented).containsExactly("key-1", "key-2");
    }
  }

  @Test
  void call_triesPreviousKeysStillInGrace() throws Exception {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    Downstream downstream = new Downstream();
    downstream.accepted.add("key-1"); // downstream has not picked up the rotation yet
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(6));
      assertThat(c.get().secretString()).isEqualTo("key-2");
      assertThat(c.call(downstream::request)).isEqualTo("ok:1");
      assertThat(downstream.presented).containsExactly("key-2", "key-1");
    }
  }

  @Test
  void call_whenEveryKeyIsRejected_throwsTheLastRejection() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    Downstream downstream = new Downstream();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThatThrownBy(() -> c.call(downstream::request))
          .isInstanceOf(CredentialRejectedException.class).hasMessage("401 from downstream");
      assertThat(downstream.presented).containsExactly("key-1");
    }
  }

  @Test
  void call_otherFailures_propagateWithoutRefresh() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThatThrownBy(() -> c.call(cred -> {
        throw new java.io.IOException("connection refused");
      })).isInstanceOf(java.io.IOException.class);
      assertThat(backend.fetchCount()).isEqualTo(1);
    }
  }

  @Test
  void call_customRejectionClassifier() throws Exception {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend)
        .rejectionClassifier(t -> t instanceof SecurityException).build()) {
      c.start();
      backend.rotate("key-2");
      String r = c.call(cred -> {
        if (cred.secretString().equals("key-1")) {
          throw new SecurityException("HTTP 401");
        }
        return cred.secretString();
      });
      assertThat(r).isEqualTo("key-2");
    }
  }
}
