package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.spi.CredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChangeScheduleTest {

  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  @ParameterizedTest(name = "change in {0}s, draw {1} -> poll in {2}ms")
  @CsvSource({
      "30, 0.0, 30000",
      "30, 0.5, 30500",
      "0, 0.0, 1000",    // due now: the backend is not late yet, check again in a second
      "-1, 0.0, 1000",   // late by 1 s: half of it is below the minimum
      "-10, 0.0, 5000",  // late by 10 s: half the lateness
      "-10, 0.99, 5990",
      "-600, 0.0, 300000"})
  void delay_afterAnnouncedChange_thenBacksOffHalfTheLateness(long inSeconds, double draw, long expectedMillis) {
    assertThat(ChangeSchedule.delay(NOW.plusSeconds(inSeconds), NOW, draw)).isEqualTo(Duration.ofMillis(expectedMillis));
  }

  /** A static secret whose backend announces a change 40 s from each read. */
  static final class AnnouncingProvider implements CredentialProvider {
    final Fixture f;
    final AtomicInteger reads = new AtomicInteger();
    volatile String version = "1";
    volatile Instant nextChange;

    AnnouncingProvider(Fixture f) {
      this.f = f;
    }

    @Override
    public String backend() {
      return "test";
    }

    @Override
    public String path() {
      return "static/role";
    }

    @Override
    public FetchResult fetch(FetchContext context) {
      reads.incrementAndGet();
      Credential c = Credential.builder(version).value(SecretValue.ofString("v" + version)).issuedAt(f.time.now()).build();
      return FetchResult.builder(c).nextChange(nextChange).build();
    }
  }

  @Test
  void engine_pollsShortlyAfterTheAnnouncedChange_notAtTheRegularInterval() {
    Fixture f = new Fixture();
    AnnouncingProvider backend = new AnnouncingProvider(f);
    Instant change = f.time.now().plusSeconds(40);
    backend.nextChange = change;
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThat(c.status().nextRefresh()).hasValueSatisfying(t ->
          assertThat(t).isBetween(change, change.plus(ChangeSchedule.SPREAD)));
      backend.version = "2";
      backend.nextChange = change.plusSeconds(40);
      f.time.advanceTo(change.plus(ChangeSchedule.SPREAD));
      assertThat(c.get().version()).isEqualTo("2");
      assertThat(backend.reads.get()).isEqualTo(2);
    }
  }

  @Test
  void engine_withoutAnnouncement_keepsTheRegularInterval() {
    Fixture f = new Fixture();
    AnnouncingProvider backend = new AnnouncingProvider(f);
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      // the first poll has a random phase over the whole interval; later polls keep the interval
      Instant first = c.status().nextRefresh().orElseThrow();
      assertThat(first).isBetween(f.time.now(), f.time.now().plus(RefreshPolicy.DEFAULT_REFRESH_INTERVAL));
      f.time.advanceTo(first);
      assertThat(backend.reads.get()).isEqualTo(2);
      assertThat(c.status().nextRefresh()).hasValueSatisfying(t -> assertThat(t)
          .isAfterOrEqualTo(first.plus(RefreshPolicy.DEFAULT_REFRESH_INTERVAL.dividedBy(2))));
    }
  }

  @Test
  void engine_announcementLaterThanTheRegularPoll_keepsTheRegularPoll() {
    Fixture f = new Fixture();
    AnnouncingProvider backend = new AnnouncingProvider(f);
    backend.nextChange = f.time.now().plus(Duration.ofHours(6));
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      assertThat(c.status().nextRefresh()).hasValueSatisfying(t -> assertThat(t)
          .isBefore(f.time.now().plus(RefreshPolicy.DEFAULT_REFRESH_INTERVAL.multipliedBy(11).dividedBy(10).plusSeconds(1))));
    }
  }
}
