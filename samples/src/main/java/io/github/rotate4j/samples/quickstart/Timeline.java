package io.github.rotate4j.samples.quickstart;

import io.github.rotate4j.event.CircuitStateChanged;
import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialExpired;
import io.github.rotate4j.event.CredentialExpiring;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRenewed;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.event.RefreshFailed;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/** Prints what happens with the time since the start, e.g. {@code [ +1.52s] ROTATION ...}. */
final class Timeline {

  private final PrintStream out;
  private final Instant start = Instant.now();
  private final long startNanos = System.nanoTime();
  private final List<CredentialEvent> printed = new CopyOnWriteArrayList<>();

  Timeline(PrintStream out) {
    this.out = out;
  }

  void header(String title) {
    out.println();
    out.println("== " + title);
  }

  void say(String label, String format, Object... args) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    out.println(String.format(Locale.ROOT, "[%+6.2fs] %-11s %s", seconds, label, String.format(Locale.ROOT, format, args)));
  }

  /** An instant on this timeline, e.g. {@code +5.40s}. */
  String at(Instant instant) {
    return String.format(Locale.ROOT, "%+.2fs", Duration.between(start, instant).toMillis() / 1000.0);
  }

  /** A listener that prints every event of a credential. */
  CredentialListener printer() {
    return CredentialListener.forEvery(e -> {
      say("  event", "%s", describe(e));
      printed.add(e);
    });
  }

  /** How many events of this type were printed for the credential so far. */
  long printed(String credentialName, Class<? extends CredentialEvent> type) {
    return printed.stream().filter(e -> e.credentialName().equals(credentialName) && type.isInstance(e)).count();
  }

  private String describe(CredentialEvent e) {
    String who = "'" + e.credentialName() + "' ";
    if (e instanceof CredentialCreated c) {
      return who + "created with version " + c.version();
    }
    if (e instanceof CredentialRotated r) {
      return who + "rotated " + r.previousVersion() + " -> " + r.newVersion();
    }
    if (e instanceof CredentialRenewed r) {
      return who + "renewed " + r.version() + " until " + at(r.expiresAt());
    }
    if (e instanceof RefreshFailed f) {
      return who + "refresh attempt " + f.attempt() + " failed (" + f.kind().name().toLowerCase(Locale.ROOT) + "): "
          + f.message() + f.nextAttemptTime().map(t -> "; next attempt at " + at(t)).orElse("");
    }
    if (e instanceof CredentialExpiring x) {
      return who + "version " + x.version() + " expires in " + x.remaining().toMillis() + " ms";
    }
    if (e instanceof CredentialExpired x) {
      return who + "version " + x.version() + " reached its hard expiry";
    }
    if (e instanceof CircuitStateChanged c) {
      return who + "circuit breaker for " + c.backendId() + " " + c.from() + " -> " + c.to();
    }
    return who + e;
  }
}
