package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Logs are signal: one WARN into DEGRADED, one INFO out of it, DEBUG per attempt, ERROR once at expiry. */
class LoggingTest {

  private final Fixture f = new Fixture();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger("io.github.rotate4j");

  @BeforeEach
  void capture() {
    appender.start();
    logger.addAppender(appender);
  }

  @AfterEach
  void release() {
    logger.detachAppender(appender);
  }

  private List<String> at(Level level) {
    return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aThirtyMinuteOutage_logsOneWarnAndOneInfoOnRecovery() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      appender.list.clear();
      backend.failAlways(FailureKind.TRANSIENT);
      f.advance(Duration.ofMinutes(30));
      assertThat(at(Level.WARN)).singleElement().satisfies(m ->
          assertThat(m).contains("DEGRADED").contains("api-key").contains("in-memory secret/app/api-key"));
      assertThat(at(Level.DEBUG)).as("one line per attempt").hasSizeGreaterThan(10);
      backend.recover();
      f.advance(Duration.ofMinutes(8)); // a failing poller keeps its grid: back at its next poll
      assertThat(at(Level.INFO)).anySatisfy(m -> assertThat(m).contains("works again after").matches(".*\\d+\\.\\d min.*")
          .contains("failed attempt"));
      assertThat(at(Level.WARN)).hasSize(1);
    }
  }

  @Test
  void aListenerRefreshingOnEveryFailure_isRateLimited_evenWhileDown() {
    InMemoryCredentialProvider backend = f.staticBackend("key-1");
    backend.failAlways(FailureKind.TRANSIENT);
    RotatingCredential[] self = new RotatingCredential[1];
    try (RotatingCredential c = f.builder(backend).lazyStart(true)
        .listener(new io.github.rotate4j.event.CredentialListener() {
          @Override
          public void onRefreshFailed(io.github.rotate4j.event.RefreshFailed event) {
            self[0].refreshNow();
          }
        }).build()) {
      self[0] = c;
      c.start();
      f.advance(Duration.ofSeconds(10));
      assertThat(backend.fetchCount()).as("at most one forced refresh per second, plus the scheduled ones")
          .isLessThanOrEqualTo(25);
      assertThat(at(Level.WARN)).isEmpty();
    }
  }

  @Test
  void hardExpiry_logsOneError_andBreakerTransitionsAreInfo() {
    InMemoryCredentialProvider backend = f.backend().initialValue("pw")
        .leases(Duration.ofMinutes(2), Duration.ofMinutes(2), false).build();
    try (RotatingCredential c = f.builder(backend).build()) {
      c.start();
      backend.failAlways(FailureKind.TRANSIENT);
      f.advance(Duration.ofMinutes(10));
      assertThat(at(Level.ERROR)).singleElement().satisfies(m -> assertThat(m).contains("hard expiry"));
      assertThat(at(Level.INFO)).anySatisfy(m -> assertThat(m).contains("circuit breaker").contains("CLOSED -> OPEN"));
    }
  }
}
