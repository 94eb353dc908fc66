package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ListenerTest {

  private final Fixture f = new Fixture();

  @Test
  void failingListener_doesNotStopRefreshOrOtherListeners() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    CredentialListener broken = CredentialListener.forEvery(e -> {
      throw new IllegalStateException("listener bug");
    });
    try (RotatingCredential c = f.builder(backend).listener(broken).build()) {
      c.start();
      backend.rotate("key-2");
      f.advance(Duration.ofMinutes(6));
      backend.rotate("key-3");
      f.advance(Duration.ofSeconds(1)); // past the on-demand refresh rate limit
      c.refreshNow();
      assertThat(c.get().secretString()).isEqualTo("key-3");
      assertThat(f.events(CredentialRotated.class)).extracting(CredentialRotated::newVersion).containsExactly("2", "3");
    }
  }

  @Test
  void addedListener_receivesLaterEvents() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    java.util.List<CredentialEvent> late = new java.util.ArrayList<>();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      c.addListener(new CredentialListener() {
        @Override
        public void onRotated(CredentialRotated event) {
          late.add(event);
        }
      });
      backend.rotate("key-2");
      c.refreshNow();
      assertThat(late).singleElement().isInstanceOf(CredentialRotated.class);
    }
  }

  @Test
  void removedListener_receivesNoMoreEvents_theOthersStillDo() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    java.util.List<String> removed = new java.util.ArrayList<>();
    CredentialListener goesAway = new CredentialListener() {
      @Override
      public void onRotated(CredentialRotated event) {
        removed.add(event.newVersion());
      }
    };
    try (RotatingCredential c = f.builder(backend).listener(goesAway).build()) {
      c.start();
      backend.rotate("key-2");
      c.refreshNow();
      assertThat(removed).containsExactly("2");

      assertThat(c.removeListener(goesAway)).isTrue();
      assertThat(c.removeListener(goesAway)).as("already removed").isFalse();
      assertThat(c.removeListener(CredentialListener.forEvery(e -> { }))).as("never added").isFalse();
      backend.rotate("key-3");
      f.advance(Duration.ofSeconds(1)); // past the on-demand refresh rate limit
      c.refreshNow();

      assertThat(c.get().secretString()).isEqualTo("key-3");
      assertThat(removed).as("nothing after its removal").containsExactly("2");
      assertThat(f.events(CredentialRotated.class)).as("the fixture's listener still gets every rotation")
          .extracting(CredentialRotated::newVersion).containsExactly("2", "3");
    }
  }
}
