package io.github.rotate4j.samples.rotationjob;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rotate4j.rotation.RotationJournal;
import io.github.rotate4j.rotation.RotationStatus;
import io.github.rotate4j.samples.rotationjob.inventory.Inventory;
import io.github.rotate4j.samples.rotationjob.inventory.InventoryEntry;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The rotation state of every inventory entry at one instant, as a table or JSON. */
final class Report {

  /** A row's verdict. */
  enum State {
    OK, DUE, OVERDUE, ERROR;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One entry: its status, or why it could not be read. */
  record Row(InventoryEntry entry, Optional<RotationStatus> status, Optional<String> error) {
    State state() {
      if (error.isPresent()) {
        return State.ERROR;
      }
      RotationStatus s = status.orElseThrow();
      return s.overdue() ? State.OVERDUE : s.due() ? State.DUE : State.OK;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Inventory inventory;
  private final Instant now;
  private final List<Row> rows;

  Report(Inventory inventory, Instant now, List<Row> rows) {
    this.inventory = inventory;
    this.now = now;
    this.rows = List.copyOf(rows);
  }

  List<Row> rows() {
    return rows;
  }

  long count(State state) {
    return rows.stream().filter(r -> r.state() == state).count();
  }

  /** {@link RotationJob#EXIT_FAILED} when a secret could not be read, else {@link RotationJob#EXIT_OVERDUE} when one is overdue. */
  int exitCode() {
    if (count(State.ERROR) > 0) {
      return RotationJob.EXIT_FAILED;
    }
    return count(State.OVERDUE) > 0 ? RotationJob.EXIT_OVERDUE : RotationJob.EXIT_OK;
  }

  void printTable(PrintStream out) {
    out.println("Rotation report at " + now + " for " + inventory.source());
    List<String[]> lines = new ArrayList<>();
    lines.add(new String[] {"NAME", "STATE", "ROTATED AT", "DAYS", "DUE AT", "ROTATION", "OWNER", "STORE"});
    for (Row r : rows) {
      Optional<RotationStatus> s = r.status();
      lines.add(new String[] {
          r.entry().name(),
          r.state().name(),
          s.flatMap(RotationStatus::rotatedAt).map(Report::time).orElse(s.isPresent() ? "never" : "?"),
          s.flatMap(RotationStatus::sinceRotation).map(d -> Long.toString(d.toDays())).orElse("-"),
          s.flatMap(RotationStatus::dueAt).map(t -> t.equals(Instant.EPOCH) ? "now" : time(t)).orElse("-"),
          s.flatMap(RotationStatus::activeRotation).map(j -> j.phase().name()).orElse("-"),
          r.entry().owner(),
          r.entry().store().describe()});
    }
    int[] widths = new int[lines.get(0).length];
    for (String[] l : lines) {
      for (int i = 0; i < l.length; i++) {
        widths[i] = Math.max(widths[i], l[i].length());
      }
    }
    for (String[] l : lines) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < l.length; i++) {
        b.append(i == l.length - 1 ? l[i] : String.format(Locale.ROOT, "%-" + widths[i] + "s  ", l[i]));
      }
      out.println(b.toString().stripTrailing());
    }
    for (Row r : rows) {
      r.error().ifPresent(e -> out.println("ERROR " + r.entry().name() + ": " + e));
      r.status().flatMap(RotationStatus::activeRotation).ifPresent(j -> out.println("ROTATING " + r.entry().name()
          + ": rotation " + j.rotationId() + " at " + j.phase() + j.graceEndsAt().map(t -> ", grace ends " + time(t)).orElse("")
          + j.note().map(n -> " (" + n + ")").orElse("")));
      if (r.state() == State.OVERDUE) {
        RotationStatus s = r.status().orElseThrow();
        out.println("OVERDUE " + r.entry().name() + ": due " + s.dueAt().map(t -> t.equals(Instant.EPOCH) ? "since it was never rotated"
            : "since " + time(t) + " (" + days(Duration.between(t, now)) + ")").orElse("") + "; owner " + r.entry().owner());
      }
    }
    out.println(rows.size() + (rows.size() == 1 ? " secret: " : " secrets: ") + count(State.OVERDUE) + " overdue, "
        + count(State.DUE) + " due, " + count(State.OK) + " ok, " + count(State.ERROR) + " unreadable");
  }

  void printJson(PrintStream out) {
    ObjectNode root = JSON.createObjectNode();
    root.put("generatedAt", now.toString());
    root.put("inventory", inventory.source().toString());
    root.put("overdueAfter", inventory.overdueAfter().toString());
    ObjectNode summary = root.putObject("summary");
    summary.put("total", rows.size());
    for (State st : State.values()) {
      summary.put(st.label(), count(st));
    }
    ArrayNode secrets = root.putArray("secrets");
    for (Row r : rows) {
      ObjectNode o = secrets.addObject();
      InventoryEntry e = r.entry();
      o.put("name", e.name());
      o.put("state", r.state().label());
      o.put("description", e.description());
      o.put("owner", e.owner());
      ArrayNode consumers = o.putArray("consumers");
      e.consumers().forEach(consumers::add);
      o.put("store", e.store().describe());
      o.put("issuer", e.issuer().describe());
      o.put("rotationFrequency", e.rotationFrequency().toString());
      Optional<RotationStatus> s = r.status();
      o.put("currentVersion", s.map(RotationStatus::currentVersion).orElse(null));
      o.put("rotatedAt", s.flatMap(RotationStatus::rotatedAt).map(Instant::toString).orElse(null));
      Optional<Duration> since = s.flatMap(RotationStatus::sinceRotation);
      if (since.isPresent()) {
        o.put("daysSinceRotation", since.get().toDays());
      } else {
        o.putNull("daysSinceRotation");
      }
      o.put("nextRotation", s.flatMap(RotationStatus::nextRotation).map(Instant::toString).orElse(null));
      boolean never = s.flatMap(RotationStatus::dueAt).map(Instant.EPOCH::equals).orElse(false);
      o.put("dueAt", s.flatMap(RotationStatus::dueAt).filter(t -> !never).map(Instant::toString).orElse(null));
      o.put("neverRotated", never);
      o.put("due", s.map(RotationStatus::due).orElse(false));
      o.put("overdue", s.map(RotationStatus::overdue).orElse(false));
      Optional<RotationJournal> active = s.flatMap(RotationStatus::activeRotation);
      if (active.isPresent()) {
        ObjectNode rot = o.putObject("rotation");
        rot.put("id", active.get().rotationId());
        rot.put("phase", active.get().phase().name());
        rot.put("startedAt", active.get().startedAt().toString());
        rot.put("graceEndsAt", active.get().graceEndsAt().map(Instant::toString).orElse(null));
      } else {
        o.putNull("rotation");
      }
      o.put("error", r.error().orElse(null));
    }
    try {
      out.println(JSON.writeValueAsString(root));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report as JSON", e);
    }
  }

  static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String days(Duration d) {
    long days = d.toDays();
    return days >= 1 ? days + (days == 1 ? " day" : " days") : d.toHours() + " h";
  }
}
