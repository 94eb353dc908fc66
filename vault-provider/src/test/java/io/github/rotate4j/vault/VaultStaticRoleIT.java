package io.github.rotate4j.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.RotatingCredential;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A static role rotated by a real OpenBao every 5 s (the shortest period it accepts), on a real PostgreSQL user. */
@ExtendWith(DevServers.class)
class VaultStaticRoleIT {

  static final int PERIOD_SECONDS = 5;
  /**
   * How long after Vault's rotation the served password may still be the old one: a late change is
   * re-checked after max(1 s, lateness / 2) plus up to 1 s of spread, and OpenBao may rotate one
   * 5 s tick late (below), which makes the engine's announced change that much later.
   */
  static final Duration WINDOW = Duration.ofMillis(4_000);

  final OpenBaoDevServer bao;
  final PostgresCluster pg;
  VaultStaticRoleSetup role;
  VaultSession session;

  VaultStaticRoleIT(OpenBaoDevServer bao, PostgresCluster pg) {
    this.bao = bao;
    this.pg = pg;
  }

  @BeforeEach
  void setUp() throws Exception {
    role = new VaultStaticRoleSetup(bao, pg, PERIOD_SECONDS);
    session = VaultSession.builder().address(bao.address()).auth(VaultAuth.token(bao.rootToken())).build();
  }

  @AfterEach
  void tearDown() {
    session.close();
    role.close();
  }

  @Test
  void fetch_readsThePasswordVaultSet_versionIsTheRotationTime() {
    VaultStaticRoleProvider provider = VaultStaticRoleProvider.builder(session, role.mount, role.role).build();

    FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

    Credential c = r.current();
    assertThat(c.usernamePassword().username()).isEqualTo(role.username);
    assertThat(role.logsIn(c.usernamePassword().password())).isTrue();
    assertThat(c.expiresAt()).isEmpty();
    assertThat(Instant.parse(c.version())).isEqualTo(c.issuedAt());
    assertThat(c.metadata()).containsEntry(VaultStaticRoleProvider.ROTATION_PERIOD, Integer.toString(PERIOD_SECONDS));
    assertThat(r.nextChange()).contains(c.issuedAt().plusSeconds(PERIOD_SECONDS));
    assertThat(c.toString()).doesNotContain(c.usernamePassword().password());
  }

  @Test
  void rotatingCredential_followsThreeVaultRotations_servedPasswordLogsIn_previousKept() throws Exception {
    List<CredentialRotated> rotations = new CopyOnWriteArrayList<>();
    List<String> lateFailures = new ArrayList<>();
    int loginsInWindowFailed = 0;
    int logins = 0;
    Duration worstStaleness = Duration.ZERO;
    try (RotatingCredential c = RotatingCredential.builder("orders-db",
            VaultStaticRoleProvider.builder(session, role.credsPath()).build())
        .listener(CredentialListener.forEvery(e -> {
          if (e instanceof CredentialRotated r) {
            rotations.add(r);
          }
        }))
        .build().start()) {
      Instant deadline = Instant.now().plusSeconds(PERIOD_SECONDS * 8L);
      Credential seen = c.get();
      int versionChangesSeen = 0;
      while ((versionChangesSeen < 3 || rotations.size() < 3) && Instant.now().isBefore(deadline)) {
        KeyRing ring = c.keyRing();
        Credential served = ring.current();
        if (!served.version().equals(seen.version())) {
          versionChangesSeen++;
          Credential before = seen;
          assertThat(ring.previous()).as("the password served before is the previous entry")
              .first().satisfies(p -> {
                assertThat(p.version()).isEqualTo(before.version());
                assertThat(p.usernamePassword()).isEqualTo(before.usernamePassword());
              });
          assertThat(ring.previous().get(0).usernamePassword().password()).isNotEqualTo(served.usernamePassword().password());
          seen = served;
        }
        boolean ok = role.logsIn(served.usernamePassword().password());
        // read after the login: a refusal is excused by a rotation at most WINDOW before it
        Instant vaultRotated = role.lastVaultRotation();
        logins++;
        Instant now = Instant.now();
        if (!ok) {
          Duration since = Duration.between(vaultRotated, now);
          worstStaleness = since.compareTo(worstStaleness) > 0 ? since : worstStaleness;
          if (since.compareTo(WINDOW) > 0) {
            lateFailures.add("version " + served.version() + " refused " + since + " after Vault's rotation at " + vaultRotated);
          } else {
            loginsInWindowFailed++;
          }
        }
        Thread.sleep(100);
      }
      System.out.printf("static role: %d logins with the served password, %d refused within %s of a rotation, "
          + "worst %s, 0 allowed later; %d rotations seen%n", logins, loginsInWindowFailed, WINDOW, worstStaleness, rotations.size());

      assertThat(lateFailures).as("the served password logs in once the window after a rotation is over").isEmpty();
      assertThat(rotations).as("three rotations within %s s", PERIOD_SECONDS * 8).hasSizeGreaterThanOrEqualTo(3);
      for (int i = 1; i < rotations.size(); i++) {
        assertThat(rotations.get(i).previousVersion()).as("one version change per rotation, none skipped")
            .isEqualTo(rotations.get(i - 1).newVersion());
        Duration apart = Duration.between(Instant.parse(rotations.get(i - 1).newVersion()), Instant.parse(rotations.get(i).newVersion()));
        // OpenBao checks due rotations on a 5 s tick against whole seconds of a time it records after
        // changing the password, so a rotation may wait one extra tick: up to two periods apart
        assertThat(apart).as("consecutive versions are one Vault rotation apart")
            .isBetween(Duration.ofSeconds(PERIOD_SECONDS - 1), Duration.ofSeconds(2L * PERIOD_SECONDS + 1));
      }
      assertThat(versionChangesSeen).as("every rotation was seen as a new version by get()").isGreaterThanOrEqualTo(3);
      // the provider reports the password Vault replaced last; older ones no longer log in, so the
      // engine (which takes a provider's history as the authority) keeps exactly that one
      KeyRing ring = c.keyRing();
      assertThat(ring.previous()).as("the password Vault replaced last stays in the ring as previous, alone").hasSize(1);
      assertThat(Instant.parse(ring.previous().get(0).version()))
          .as("the previous version is the rotation before the current one")
          .isBefore(Instant.parse(ring.current().version()));
      assertThat(c.status().rotations()).isGreaterThanOrEqualTo(3);
      assertThat(c.status().lastFailure()).isEmpty();
    }
  }
}
