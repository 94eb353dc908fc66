package io.github.rotate4j.spi;

import io.github.rotate4j.Credential;
import java.time.Instant;
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
  private final @Nullable Instant nextChange;
  private final boolean historyReported;
  private final @Nullable Instant maxLeaseEnd;

  private FetchResult(Credential current, List<Credential> previous, @Nullable Credential pending, @Nullable Instant nextChange,
      boolean historyReported, @Nullable Instant maxLeaseEnd) {
    this.current = Objects.requireNonNull(current, "current");
    this.previous = List.copyOf(previous);
    this.pending = pending;
    this.nextChange = nextChange;
    this.historyReported = historyReported || !previous.isEmpty();
    if (maxLeaseEnd != null && current.expiresAt().map(maxLeaseEnd::isBefore).orElse(true)) {
      throw new IllegalArgumentException("maxLeaseEnd " + maxLeaseEnd + " of version " + current.version()
          + (current.expiresAt().isPresent() ? " is before its expiry " + current.expiresAt().get() : " has no expiry"));
    }
    this.maxLeaseEnd = maxLeaseEnd;
  }

  /** Only a current version. */
  public static FetchResult of(Credential current) {
    return new FetchResult(current, List.of(), null, null, false, null);
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

  /**
   * When the backend itself will change the secret next, if it says so (a Vault database static
   * role's next password rotation). The engine then polls shortly after that instant instead of
   * waiting for its regular poll; once the instant has passed without a change it checks again
   * soon, backing off towards the regular interval. Empty when the backend gives no schedule.
   */
  public Optional<Instant> nextChange() {
    return Optional.ofNullable(nextChange);
  }

  /**
   * Whether {@link #previous()} is the backend's own account of which older versions are still
   * valid (AWS stages, KV versions that are neither deleted nor destroyed). When it is, the engine
   * keeps exactly those in the key ring, so a version the backend withdrew stops matching at the next
   * fetch; when it is not (files, leases), the engine keeps the versions it saw itself for the grace
   * window. True whenever {@code previous} is not empty, or when the provider said so with
   * {@link Builder#historyReported(boolean)}.
   */
  public boolean historyReported() {
    return historyReported;
  }

  /**
   * The latest instant any renewal of the current lease can reach (its max TTL), when the backend
   * says so up front. With it the engine plans the lease's replacement from the start, drawn over
   * the lease's whole life, so that a fleet whose leases were issued together replaces them spread
   * out even in their first cycle; without it the engine learns the max TTL only when a renewal
   * comes back short. Empty when unknown.
   */
  public Optional<Instant> maxLeaseEnd() {
    return Optional.ofNullable(maxLeaseEnd);
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
    private @Nullable Instant nextChange;
    private boolean historyReported;
    private @Nullable Instant maxLeaseEnd;

    private Builder(Credential current) {
      this.current = Objects.requireNonNull(current, "current");
    }

    /** Adds an older version; call newest first. */
    public Builder previous(Credential credential) {
      previous.add(Objects.requireNonNull(credential, "credential"));
      return this;
    }

    public Builder pending(@Nullable Credential credential) {
      this.pending = credential;
      return this;
    }

    /** When the backend will change the secret next (see {@link FetchResult#nextChange()}); {@code null} for unknown. */
    public Builder nextChange(@Nullable Instant nextChange) {
      this.nextChange = nextChange;
      return this;
    }

    /**
     * Declares that the backend reported its whole history: an empty {@link #previous} then means
     * that no older version is valid any more (e.g. the operator deleted or destroyed it).
     */
    public Builder historyReported(boolean reported) {
      this.historyReported = reported;
      return this;
    }

    /**
     * The latest end any renewal of the current lease can reach (see {@link FetchResult#maxLeaseEnd()});
     * {@code null} for unknown. {@link #build()} refuses one before the lease's own expiry, or on a
     * credential that has none.
     */
    public Builder maxLeaseEnd(@Nullable Instant maxLeaseEnd) {
      this.maxLeaseEnd = maxLeaseEnd;
      return this;
    }

    public FetchResult build() {
      return new FetchResult(current, previous, pending, nextChange, historyReported, maxLeaseEnd);
    }
  }
}
