package io.github.rotate4j.benchmarks.fleet;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import joptsimple.OptionParser;
import joptsimple.OptionSet;
import joptsimple.OptionSpec;

/**
 * The fleet simulator: a thousand service instances, each with its own rotating credential, on one
 * manual timeline against one simulated backend, started in the same millisecond and hit by one
 * shared outage. Deterministic from {@code --seed}.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.github.rotate4j.benchmarks.fleet.FleetSimulator \
 *     --scenario renewable --seed 1
 * </pre>
 *
 * <p>Scenarios: {@code renewable} (leases, TTL 60 s, max TTL 10 min), {@code fixed} (non-renewable
 * 10-minute leases), {@code static} (a static secret polled at the default interval), {@code herd}
 * (the three), {@code memory} (heap per credential in a registry, at start and after a simulated
 * day), {@code startup} (real threads: a registry's start-up against a blocking and an asynchronous
 * backend) and
 * {@code threads} (real threads: threads added by stand-alone credentials and by a registry).
 */
public final class FleetSimulator {

  private FleetSimulator() {}

  public static void main(String[] args) throws IOException {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
    OptionParser parser = new OptionParser();
    OptionSpec<String> scenario = parser.accepts("scenario",
            "renewable | fixed | static | herd | memory | startup | threads | all")
        .withRequiredArg().defaultsTo("herd");
    OptionSpec<Long> seed = parser.accepts("seed", "seed of every random choice").withRequiredArg()
        .ofType(Long.class).defaultsTo(1L);
    OptionSpec<Integer> instances = parser.accepts("instances", "fleet size").withRequiredArg()
        .ofType(Integer.class).defaultsTo(1000);
    OptionSpec<Integer> hours = parser.accepts("hours", "simulated hours per herd scenario").withRequiredArg()
        .ofType(Integer.class).defaultsTo(4);
    OptionSpec<Integer> outageAt = parser.accepts("outage-at", "minutes after start when the outage begins")
        .withRequiredArg().ofType(Integer.class).defaultsTo(120);
    OptionSpec<Integer> outage = parser.accepts("outage", "outage length in seconds (0: none)")
        .withRequiredArg().ofType(Integer.class).defaultsTo(120);
    OptionSpec<Integer> latency = parser.accepts("latency", "start-up: backend latency in ms")
        .withRequiredArg().ofType(Integer.class).defaultsTo(50);
    OptionSpec<Integer> memoryCount = parser.accepts("memory-count", "memory: credentials in the registry")
        .withRequiredArg().ofType(Integer.class).defaultsTo(1000);
    parser.accepts("max-ttl-unknown", "renewable: new leases do not announce their max TTL (the engine learns it "
        + "from the first renewal that comes back short)");
    parser.accepts("help").forHelp();
    OptionSet options = parser.parse(args);
    PrintStream out = System.out;
    if (options.has("help")) {
      parser.printHelpOn(out);
      return;
    }
    String which = options.valueOf(scenario);
    List<String> herdKinds = switch (which) {
      case "herd", "all" -> List.of("renewable", "fixed", "static");
      case "renewable", "fixed", "static" -> List.of(which);
      case "memory", "startup", "threads" -> List.of();
      default -> throw new IllegalArgumentException("unknown scenario '" + which
          + "'; known: renewable, fixed, static, herd, memory, startup, threads, all");
    };
    out.printf("Rotate4j fleet simulator: scenario %s, seed %d (Java %s)%n", which, options.valueOf(seed),
        Runtime.version());
    for (String kind : herdKinds) {
      new HerdSimulation(kindOf(kind), options.valueOf(instances), options.valueOf(seed),
          Duration.ofHours(options.valueOf(hours)), Duration.ofMinutes(options.valueOf(outageAt)),
          Duration.ofSeconds(options.valueOf(outage)), !options.has("max-ttl-unknown"), out).run();
    }
    if (which.equals("memory") || which.equals("all")) {
      for (String kind : List.of("static", "renewable")) {
        new MemorySimulation(kindOf(kind), options.valueOf(memoryCount), options.valueOf(seed),
            Duration.ofDays(1), out).run();
      }
    }
    if (which.equals("startup") || which.equals("all")) {
      new ThreadMeasurement(out).startup(new int[] {1, 100, 1000}, Duration.ofMillis(options.valueOf(latency)));
    }
    if (which.equals("threads") || which.equals("all")) {
      new ThreadMeasurement(out).threadCounts(options.valueOf(instances));
    }
  }

  private static SimulatedBackend.Kind kindOf(String name) {
    return switch (name) {
      case "renewable" -> SimulatedBackend.Kind.RENEWABLE_LEASE;
      case "fixed" -> SimulatedBackend.Kind.FIXED_LEASE;
      default -> SimulatedBackend.Kind.STATIC;
    };
  }
}
