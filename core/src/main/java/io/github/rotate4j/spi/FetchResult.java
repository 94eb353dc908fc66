package io.github.rotate4j.spi;

import io.github.rotate4j.Credential;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a backend holds now: the current version, older versions it still knows (for the grace
 * window) and a staged pending version. Immutable.
 */
public final class FetchResult {

  private final Credential current;
  private final List<Credential> previous;
  private final @Nullable Credential pending;

  private FetchResult(Credential current, List<Credential> previous, @Nullable Credential pending) {
    this.current = Objects.requireNonNull(current, "current");
    this.previous = List.copyOf(previous);
    this.pending = pending;
  }

  /** Only a current version. */
  public static FetchResult of(Credential current) {
    return new FetchResult(current, List.of(), null);
  }

  /** Starts a result with the given current version. */
  public static Builder builder(Credential current) {
    return new Builder(current);
  }

  public Credential current() {
    return current;
  }

  /** Older versions the backend still serves, newest first (AWSPREVIOUS, KV version n-1, an older lease). */
  public List<Credential> previous() {
    return previous;
  }

  /** A staged version not yet promoted (AWSPENDING). */
  public Optional<Credential> pending() {
    return Optional.ofNullable(pending);
  }

  @Override
  public String toString() {
    return "FetchResult[current=" + current.version()
        + (previous.isEmpty() ? "" : ", previous=" + previous.stream().map(Credential::version).toList())
        + (pending == null ? "" : ", pending=" + pending.version()) + "]";
  }

  /** Builds a {@link FetchResult}. */
  public static final class Builder {
    private final Credential current;
    private final List<Credential> previous = new ArrayList<>();
    private @Nullable Credential pending;

    private Builder(Credential current) {
      this.current = Objects.requireNonNull(current, "current");
    }

    /** Adds an older version; call newest first. */
    public Builder previous(Credential credential) {
      previous.add(Objects.requireNonNull(credential, "credential"));
      return this;
    }

    /** The version staged but not promoted yet (AWSPENDING); {@code null} (the default) means none. */
    public Builder pending(@Nullable Credential credential) {
      this.pending = credential;
      return this;
    }

    public FetchResult build() {
      return new FetchResult(current, previous, pending);
    }
  }
}
