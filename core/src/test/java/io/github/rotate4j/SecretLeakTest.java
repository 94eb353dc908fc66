package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** With the secret values known, none of them shows up in logs, exceptions, events or status. */
class SecretLeakTest {

  private static final String SECRET_1 = "s3cr3t-VALUE-one-9f8e7d";
  private static final String SECRET_2 = "s3cr3t-VALUE-two-1a2b3c";
  private static final String SECRET_3 = "s3cr3t-VALUE-three-4d5e6f";

  private final Fixture f = new Fixture();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final List<String> seen = new ArrayList<>();

  @BeforeEach
  void capture() {
    appender.start();
    root.addAppender(appender);
  }

  @AfterEach
  void release() {
    root.detachAppender(appender);
  }

  @Test
  void noSecretReachesLogsExceptionsEventsOrStatus() {
    // start-up failure
    InMemoryCredentialProvider failing = f.backend().initialValue(SECRET_1).build();
    failing.failAlways(FailureKind.PERMANENT);
    seen.add(catchThrowable(() -> f.builder(failing).build().start()).toString());

    // rotation, refresh failure, expiry of a lease, rejection
    InMemoryCredentialProvider backend = f.backend().initialValue(SECRET_1)
        .leases(Duration.ofMinutes(2), Duration.ofMinutes(2), false).build();
    RotatingCredential c = f.builder(backend).build();
    c.start();
    seen.add(c.get().toString());
    seen.add(c.get().value().toString());
    backend.rotate(SECRET_2);
    f.advance(Duration.ofMinutes(1));
    seen.add(c.keyRing().toString());
    c.verify(SECRET_1);
    c.verify("wrong-" + SECRET_3);
    backend.rotate(SECRET_3);
    backend.failAlways(FailureKind.TRANSIENT);
    f.advance(Duration.ofMinutes(5));
    seen.add(c.status().toString());
    seen.add(catchThrowable(c::get).toString());
    seen.add(catchThrowable(() -> c.call(cred -> {
      throw new CredentialRejectedException("rejected");
    })).toString());
    backend.recover();
    f.advance(Duration.ofMinutes(2));
    seen.add(c.status().toString());
    seen.add(c.keyRing().toString());
    c.close();

    for (CredentialEvent e : f.events) {
      seen.add(e.toString());
    }
    for (ILoggingEvent e : appender.list) {
      seen.add(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        seen.add(t.getMessage());
      }
    }
    assertThat(appender.list).as("the scenario logged something").hasSizeGreaterThan(5);
    assertThat(f.events).hasSizeGreaterThan(5);
    assertThat(seen).allSatisfy(text -> assertThat(String.valueOf(text))
        .doesNotContain(SECRET_1).doesNotContain(SECRET_2).doesNotContain(SECRET_3).doesNotContain("s3cr3t"));
  }
}
