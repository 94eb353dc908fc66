package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.github.resilience4j.retry.RetryConfig;
import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialEvent;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.event.CredentialRotated;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Deterministic simulation of the engine: random schedules from a seed, on {@link ManualTime}, with
 * a backend whose calls the schedule holds and releases one at a time. After every step it checks:
 *
 * <ol>
 *   <li>{@code get()} never returns an expired credential;
 *   <li>at most one provider call is outstanding;
 *   <li>a refresh is always planned (a timer is really pending for it) or a call is outstanding,
 *       unless the credential is closed;
 *   <li>{@code status()} agrees with {@code get()};
 *   <li>events arrive in backend order (created first, then rotations to ever newer versions);
 * </ol>
 *
 * and at the end, after {@code close()} and every held call has answered: every lease the backend
 * issued was revoked or has expired, every future returned by {@code refreshNow} or
 * {@code reportRejected} is complete, and no timer is left.
 *
 * <p>A failing schedule is shrunk (steps removed while it still fails) and reported with its seed.
 * {@code -Dsim.seed=N} replays one seed and prints its schedule; {@code -Dsim.schedules=N} sets how
 * many schedules run (default {@value #DEFAULT_SCHEDULES}), {@code -Dsim.firstSeed=N} where they start.
 */
class EngineSimulationTest {

  static final int DEFAULT_SCHEDULES = 10_000;
  static final int STEPS = 40;

  enum Kind { ADVANCE, DELIVER, DELIVER_LATE, DELIVER_CLOSING, HANG, UNHANG, FAIL_TRANSIENT, FAIL_PERMANENT, RECOVER, ROTATE, STAGE, PROMOTE,
    LEASE_LOSS, REFRESH_NOW, REJECTED, CALL, NEXT_ROTATION, CLOSE }

  record Step(Kind kind, long arg) {
    @Override
    public String toString() {
      return kind + (arg == 0 ? "" : "(" + arg + ")");
    }
  }

  /** What the seed decides before the first step. */
  record Setup(int mode, Duration ttl, Duration maxTtl, Duration attemptTimeout, Duration interval,
      Duration grace, double jitter, int maxAttempts, boolean lazy, boolean reportPrevious) {
    boolean leased() {
      return mode > 0;
    }

    boolean renewable() {
      return mode == 1;
    }
  }

  @Test
  void randomSchedules_keepEveryInvariant() {
    Long replay = Long.getLong("sim.seed");
    int schedules = Integer.getInteger("sim.schedules", DEFAULT_SCHEDULES);
    long first = Long.getLong("sim.firstSeed", 1L);
    ch.qos.logback.classic.Logger engineLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.github.rotate4j");
    Level before = engineLog.getLevel();
    if (replay == null) {
      engineLog.setLevel(Level.OFF); // tens of thousands of schedules: logs would dominate the run
    }
    long started = System.nanoTime();
    try {
      LongStream seeds = replay != null ? LongStream.of(replay) : LongStream.range(first, first + schedules);
      AtomicLong steps = new AtomicLong();
      List<String> failures = seeds.parallel()
          .mapToObj(seed -> {
            Setup setup = setup(new Random(seed));
            List<Step> schedule = schedule(new Random(seed * 31 + 7), setup);
            if (replay != null) {
              System.out.println("seed " + seed + ": " + setup + "\n  " + schedule);
            }
            String failure = run(seed, setup, schedule);
            steps.addAndGet(schedule.size());
            if (failure == null) {
              return null;
            }
            List<Step> shrunk = shrink(seed, setup, schedule);
            return "seed " + seed + " (replay with -Dsim.seed=" + seed + "): " + failure + "\n  setup " + setup
                + "\n  shrunk schedule " + shrunk + "\n  fails with: " + run(seed, setup, shrunk);
          })
          .filter(f -> f != null)
          .limit(3)
          .collect(Collectors.toList());
      System.out.printf("engine simulation: %d schedule(s), %d steps, %.1f s%n",
          replay != null ? 1 : schedules, steps.get(), (System.nanoTime() - started) / 1e9);
      assertThat(failures).as("failing schedules").isEmpty();
    } finally {
      engineLog.setLevel(before);
    }
  }

  // ---- generation -------------------------------------------------------------------------------

  static Setup setup(Random r) {
    Duration[] ttls = {Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(10),
        Duration.ofHours(1)};
    Duration ttl = ttls[r.nextInt(ttls.length)];
    Duration maxTtl = ttl.multipliedBy(new int[] {1, 3, 10}[r.nextInt(3)]);
    Duration attempt = new Duration[] {Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(10)}[r.nextInt(3)];
    Duration interval = new Duration[] {Duration.ofSeconds(30), Duration.ofMinutes(5)}[r.nextInt(2)];
    Duration grace = new Duration[] {Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(1)}[r.nextInt(3)];
    double jitter = new double[] {0, 0.1, 0.5}[r.nextInt(3)];
    return new Setup(r.nextInt(3), ttl, maxTtl, attempt, interval, grace, jitter, 1 + r.nextInt(4),
        r.nextInt(5) == 0, r.nextBoolean());
  }

  static List<Step> schedule(Random r, Setup setup) {
    List<Step> steps = new ArrayList<>();
    long horizon = (setup.leased() ? setup.maxTtl() : setup.interval()).toMillis();
    for (int i = 0; i < STEPS; i++) {
      int p = r.nextInt(100);
      Kind k = p < 34 ? Kind.ADVANCE : p < 40 ? Kind.DELIVER : p < 44 ? Kind.DELIVER_LATE
          : p < 46 ? Kind.DELIVER_CLOSING : p < 51 ? Kind.HANG : p < 56 ? Kind.UNHANG
          : p < 63 ? Kind.FAIL_TRANSIENT : p < 65 ? Kind.FAIL_PERMANENT : p < 72 ? Kind.RECOVER : p < 78 ? Kind.ROTATE
          : p < 80 ? Kind.STAGE : p < 82 ? Kind.PROMOTE : p < 84 ? Kind.LEASE_LOSS : p < 90 ? Kind.REFRESH_NOW
          : p < 94 ? Kind.REJECTED : p < 97 ? Kind.CALL : p < 99 ? Kind.NEXT_ROTATION : Kind.CLOSE;
      long arg = switch (k) {
        case ADVANCE -> switch (r.nextInt(4)) {
          case 0 -> 1 + r.nextInt(1_000);
          case 1 -> 1 + r.nextInt(15_000);
          case 2 -> 1 + (long) (r.nextDouble() * horizon / 2);
          default -> 1 + (long) (r.nextDouble() * horizon * 2);
        };
        case FAIL_TRANSIENT -> 1 + r.nextInt(6);
        case DELIVER_LATE -> 1 + r.nextInt(30_000);
        case NEXT_ROTATION -> (long) (r.nextDouble() * horizon * 40) - horizon;
        default -> 0;
      };
      steps.add(new Step(k, arg));
    }
    return steps;
  }

  // ---- one schedule --------------------------------------------------------------------------------

  /** Runs one schedule; returns what broke, or null. */
  static String run(long seed, Setup setup, List<Step> schedule) {
    try {
      return new Simulation(seed, setup).run(schedule);
    } catch (RuntimeException | AssertionError e) {
      return "threw " + e;
    }
  }

  /** The world of one schedule: manual time, a backend, a queue of provider calls, the credential. */
  static final class Simulation {
    final ManualTime time = ManualTime.create();
    final Setup setup;
    final InMemoryCredentialProvider backend;
    /** Runs inside the next provider call, after the backend did its work and before the answer returns. */
    Runnable duringCall;
    final Deque<Runnable> calls = new ArrayDeque<>();
    final List<CredentialEvent> events = new ArrayList<>();
    final List<CompletableFuture<?>> futures = new ArrayList<>();
    final RefreshingCredential credential;
    boolean hanging;
    boolean inline;
    boolean closed;

    Simulation(long seed, Setup setup) {
      this.setup = setup;
      InMemoryCredentialProvider.Builder b = InMemoryCredentialProvider.builder().clock(time.clock())
          .path("sim/" + seed).initialValue("v").reportPrevious(setup.reportPrevious());
      if (setup.leased()) {
        b.leases(setup.ttl(), setup.maxTtl(), setup.renewable());
      }
      this.backend = b.build();
      io.github.rotate4j.spi.CredentialProvider provider = new io.github.rotate4j.spi.CredentialProvider() {
        @Override
        public String backend() {
          return backend.backend();
        }

        @Override
        public String path() {
          return backend.path();
        }

        @Override
        public io.github.rotate4j.spi.FetchResult fetch(io.github.rotate4j.spi.FetchContext context) {
          io.github.rotate4j.spi.FetchResult r = backend.fetch(context);
          inCall();
          return r;
        }

        @Override
        public Credential renew(Credential lease, io.github.rotate4j.spi.FetchContext context) {
          Credential c = backend.renew(lease, context);
          inCall();
          return c;
        }

        @Override
        public void revoke(Credential lease) {
          backend.revoke(lease);
        }
      };
      Executor io = task -> {
        if (hanging && !inline) {
          calls.addLast(task);
        } else {
          task.run();
        }
      };
      this.credential = (RefreshingCredential) RotatingCredential.builder("sim", provider)
          .clock(time.clock()).scheduler(time.scheduler()).ioExecutor(io).eventExecutor(Runnable::run)
          .random(new Random(seed))
          .refreshPolicy(RefreshPolicy.custom().attemptTimeout(setup.attemptTimeout())
              .refreshInterval(setup.interval()).gracePeriod(setup.grace()).jitter(setup.jitter())
              .recoveryInterval(Duration.ofSeconds(30)).build())
          .retryConfig(RetryConfig.from(RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG)
              .maxAttempts(setup.maxAttempts()).build())
          .lazyStart(setup.lazy())
          .listener(CredentialListener.forEvery(events::add))
          .build();
    }

    String run(List<Step> schedule) {
      futures.add(credential.startAsync());
      String broken = check("start");
      for (int i = 0; i < schedule.size() && broken == null && !closed; i++) {
        apply(schedule.get(i));
        broken = check("step " + i + " " + schedule.get(i));
      }
      if (broken != null) {
        return broken;
      }
      return finish();
    }

    void apply(Step s) {
      switch (s.kind()) {
        case ADVANCE -> time.advance(Duration.ofMillis(s.arg()));
        case DELIVER -> deliverOne();
        case DELIVER_LATE -> {
          // the backend answers after the attempt timed out (time passes while the call runs)
          // (armed for the next call when none is held: it then hits whatever call comes next)
          duringCall = () -> time.advance(setup.attemptTimeout().plusMillis(s.arg()));
          deliverOne();
        }
        case DELIVER_CLOSING -> {
          // close() runs while the backend works on the call
          duringCall = this::close;
          deliverOne();
        }
        case HANG -> hanging = true;
        case UNHANG -> {
          hanging = false;
          while (!calls.isEmpty()) {
            deliverOne();
          }
        }
        case FAIL_TRANSIENT -> backend.failNext((int) s.arg(), FailureKind.TRANSIENT);
        case FAIL_PERMANENT -> backend.failNext(1, FailureKind.PERMANENT);
        case RECOVER -> backend.recover();
        case ROTATE -> backend.rotate("v" + time.now().toEpochMilli());
        case STAGE -> backend.stage("p" + time.now().toEpochMilli());
        case PROMOTE -> {
          try {
            backend.promote();
          } catch (IllegalStateException nothingStaged) {
            // a promote without a stage does nothing
          }
        }
        case LEASE_LOSS -> backend.expireLeases();
        case NEXT_ROTATION -> backend.nextRotation(time.now().plusMillis(s.arg())); // schedule-aware polling
        case REFRESH_NOW -> futures.add(credential.refreshNow());
        case REJECTED -> {
          Credential c = servedOrNull();
          if (c != null) {
            futures.add(credential.reportRejected(c));
          }
        }
        case CALL -> call();
        case CLOSE -> close();
      }
    }

    void inCall() {
      Runnable hook = duringCall;
      duringCall = null;
      if (hook != null) {
        hook.run();
      }
    }

    void deliverOne() {
      Runnable next = calls.pollFirst();
      if (next != null) {
        next.run();
      }
    }

    /** call(fn) against a downstream that accepts only the backend's current version (static secrets). */
    void call() {
      if (setup.leased() || !calls.isEmpty() || hanging || servedOrNull() == null || credential.refreshInFlight()) {
        return; // call(fn) waits for its refresh in real time: run it only when the backend answers at once
      }
      inline = true;
      backend.recover(); // the refresh after the rejection must answer at once (call waits for it in real time)
      try {
        credential.call(c -> {
          if (!c.version().equals(backend.currentVersion())) {
            throw new CredentialRejectedException("version " + c.version() + " is not accepted downstream");
          }
          return c;
        });
      } catch (CredentialRejectedException stillRejected) {
        // the backend failed: the downstream keeps rejecting the old key, which call() must rethrow
      } catch (Exception e) {
        throw new AssertionError("call(fn) threw " + e, e);
      } finally {
        inline = false;
      }
    }

    void close() {
      inline = true;
      credential.close();
      inline = false;
      closed = true;
    }

    Credential servedOrNull() {
      try {
        return credential.get();
      } catch (CredentialException e) {
        return null;
      }
    }

    /** The invariants after a step; null if they hold. */
    String check(String where) {
      Instant now = time.now();
      Credential served = servedOrNull();
      if (served != null && served.isExpiredAt(now)) {
        return where + ": get() returned version " + served.version() + " expired at " + served.expiresAt().orElseThrow();
      }
      if (calls.size() > 1) {
        return where + ": " + calls.size() + " provider calls outstanding";
      }
      CredentialStatus status = credential.status();
      if (!closed && !isClosed()) {
        boolean planned = status.nextRefresh().isPresent() && time.pendingTaskTimes().contains(status.nextRefresh().get());
        if (!planned && !credential.callOutstanding()) {
          return where + ": no refresh planned and no call outstanding (status " + status + ")";
        }
      }
      if ((served == null) != (status.state() == CredentialState.DOWN)) {
        return where + ": status " + status.state() + " but get() " + (served == null ? "throws" : "serves");
      }
      if (served != null && !status.currentVersion().orElse("").equals(served.version())) {
        return where + ": status shows version " + status.currentVersion() + ", get() " + served.version();
      }
      return checkEventOrder(where);
    }

    boolean isClosed() {
      try {
        credential.get();
        return false;
      } catch (CredentialUnavailableException e) {
        return e.getMessage().endsWith("closed");
      } catch (CredentialException e) {
        return false;
      }
    }

    String checkEventOrder(String where) {
      long last = -1;
      for (int i = 0; i < events.size(); i++) {
        CredentialEvent e = events.get(i);
        if (e instanceof CredentialCreated c) {
          if (last != -1) {
            return where + ": a second created event " + c;
          }
          last = order(c.version());
        } else if (e instanceof CredentialRotated r) {
          long to = order(r.newVersion());
          if (last == -1 || (to < last) || (to == last && !r.newVersion().equals(r.previousVersion()))) {
            return where + ": rotation out of backend order: " + r + " after version order " + last;
          }
          last = to;
        }
      }
      return null;
    }

    /** Backend order of a version: InMemory numbers versions "1", "2"… and leases "…/lease-N". */
    static long order(String version) {
      int dash = version.lastIndexOf('-');
      return Long.parseLong(dash >= 0 ? version.substring(dash + 1) : version);
    }

    String finish() {
      if (!closed) {
        close();
      }
      hanging = false;
      while (!calls.isEmpty()) {
        deliverOne(); // every held call answers, late
      }
      Instant now = time.now();
      for (CompletableFuture<?> f : futures) {
        if (!f.isDone()) {
          return "end: a future returned by the credential never completed";
        }
      }
      List<String> revoked = backend.revokedLeases();
      InMemoryCredentialProvider b = backend;
      for (String lease : b.issuedLeases()) {
        if (!revoked.contains(lease) && !leaseExpired(lease, now)) {
          return "end: lease " + lease + " was neither served to the end nor revoked (issued " + b.issuedLeases()
              + ", revoked " + revoked + ")";
        }
      }
      if (!time.pendingTaskTimes().isEmpty()) {
        return "end: timers left after close at " + time.pendingTaskTimes();
      }
      if (credential.trackedLeases() != 0) {
        return "end: leases still tracked after close";
      }
      return null;
    }

    /** Whether the backend's lease has ended by {@code now}: it lives at most maxTtl from issue. */
    boolean leaseExpired(String lease, Instant now) {
      return backend.leaseEnd(lease).map(end -> !now.isBefore(end)).orElse(true);
    }
  }

  // ---- shrinking ---------------------------------------------------------------------------------

  static List<Step> shrink(long seed, Setup setup, List<Step> failing) {
    List<Step> current = new ArrayList<>(failing);
    for (int chunk = Math.max(1, current.size() / 2); chunk >= 1; chunk /= 2) {
      boolean removed = true;
      while (removed) {
        removed = false;
        for (int from = 0; from + chunk <= current.size(); from += chunk) {
          List<Step> candidate = new ArrayList<>(current.subList(0, from));
          candidate.addAll(current.subList(from + chunk, current.size()));
          if (run(seed, setup, candidate) != null) {
            current = candidate;
            removed = true;
            break;
          }
        }
      }
    }
    return current;
  }
}
