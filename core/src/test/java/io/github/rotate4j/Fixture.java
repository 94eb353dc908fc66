package io.github.rotate4j;

import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/** Manual time, direct executors and an event recorder: deterministic engine tests. */
final class Fixture {

  final ManualTime time = ManualTime.create();
  final List<CredentialEvent> events = new CopyOnWriteArrayList<>();

  InMemoryCredentialProvider.Builder backend() {
    return InMemoryCredentialProvider.builder().clock(time.clock()).path("secret/app/api-key");
  }

  InMemoryCredentialProvider staticBackend(String initial) {
    return backend().initialValue(initial).build();
  }

  RotatingCredentialBuilder builder(CredentialProvider provider) {
    return RotatingCredential.builder("api-key", provider)
        .clock(time.clock())
        .scheduler(time.scheduler())
        .ioExecutor(ManualTime.directExecutor())
        .eventExecutor(ManualTime.directExecutor())
        .random(new Random(42))
        .listener(CredentialListener.forEvery(events::add));
  }

  <T extends CredentialEvent> List<T> events(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  void advance(Duration d) {
    time.advance(d);
  }

  static RefreshPolicy.Builder policy() {
    return RefreshPolicy.custom();
  }
}
