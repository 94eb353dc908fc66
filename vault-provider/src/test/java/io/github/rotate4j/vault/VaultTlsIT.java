package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.FailureKind;
import io.github.rotate4j.SecretValue;
import io.github.rotate4j.spi.FetchContext;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Against an OpenBao dev server with TLS: trust a private CA, refuse an unknown one, skip checks only when asked. */
class VaultTlsIT {

  static OpenBaoDevServer bao;

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.startTls();
    bao.write("secret/data/tls/app", "{\"data\":{\"api_key\":\"over-tls\"}}");
  }

  @AfterAll
  static void stop() {
    if (bao != null) {
      bao.close();
    }
  }

  @Test
  void trustedCa_readsThroughTheDriverAndTheDirectClient() {
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken()))
        .trustPem(bao.caPem()).build()) {
      assertThat(VaultKvProvider.of(session, "secret", "tls/app").fetch(FetchContext.startup("tls")).current().secretMap())
          .containsEntry("api_key", "over-tls");
      // lease calls bypass the driver: the same trust settings apply (Vault answers, so TLS worked)
      Credential unknownLease = Credential.builder("database/creds/x/unknown").value(SecretValue.ofString("v"))
          .issuedAt(Instant.now()).lease("database/creds/x/unknown", true).build();
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> VaultLeaseProvider.of(session, "database/creds/x").renew(unknownLease, FetchContext.startup("tls")));
      assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(e.getMessage()).contains("sys/leases/renew").contains("HTTP 400");
    }
  }

  @Test
  void unknownCa_isRefused() {
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build()) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> VaultKvProvider.of(session, "secret", "tls/app").fetch(FetchContext.startup("tls")));

      assertThat(e).isNotNull();
      assertThat(e.kind()).as("no retry makes an untrusted certificate trusted").isEqualTo(FailureKind.PERMANENT);
      assertThat(e.getMessage()).contains("SSLHandshakeException").doesNotContain(bao.rootToken());
    }
  }

  @Test
  void skipTlsVerification_worksAndIsLoggedAsWarning() {
    Logger logger = (Logger) LoggerFactory.getLogger(VaultSession.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try (VaultSession session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken()))
        .skipTlsVerification().build()) {
      assertThat(VaultKvProvider.of(session, "secret", "tls/app").fetch(FetchContext.startup("tls")).current().version())
          .isEqualTo("1");
      assertThat(appender.list).anySatisfy(event -> {
        assertThat(event.getLevel()).isEqualTo(Level.WARN);
        assertThat(event.getFormattedMessage()).contains("TLS verification is OFF").contains(bao.address());
      });
    } finally {
      logger.detachAppender(appender);
    }
  }
}
