package io.github.rotate4j.spring.boot;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

/**
 * The credential registry's clock, for the providers built before the registry: the system clock
 * until the registry is built, then whatever clock its {@link CredentialRegistryCustomizer}s gave it
 * (a manual clock in tests). Providers read instants only while they fetch, which is after that. A
 * bean of its own type (not {@link Clock}), so that an application's own {@code Clock} bean stays
 * the only one of that type.
 */
final class RegistryClock {

  private volatile Clock delegate = Clock.systemUTC();
  private final Clock view = new View(ZoneId.of("UTC"));

  /** From now on, {@link #clock()} reads {@code registryClock}. */
  void follow(Clock registryClock) {
    delegate = Objects.requireNonNull(registryClock, "registryClock");
  }

  /** A clock that always reads the registry's current clock. */
  Clock clock() {
    return view;
  }

  private final class View extends Clock {
    private final ZoneId zone;

    View(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new View(zone);
    }

    @Override
    public Instant instant() {
      return delegate.instant();
    }

    @Override
    public long millis() {
      return delegate.millis();
    }

    @Override
    public String toString() {
      return "RegistryClock[" + delegate + "]";
    }
  }
}
