package io.github.rotate4j.aws;

import static io.github.rotate4j.internal.Checks.once;
import static io.github.rotate4j.internal.Checks.positive;

import io.github.rotate4j.BackendException;
import io.github.rotate4j.Credential;
import io.github.rotate4j.KeyRing;
import io.github.rotate4j.RefreshPolicy;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.APIErrorType;
import software.amazon.awssdk.services.secretsmanager.model.BatchGetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.BatchGetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.SecretValueEntry;

/**
 * Detects changes of many secrets with one {@code BatchGetSecretValue} call, so that the scheduled
 * polls of the credentials of one application cost one call per {@link Builder#maxAge(Duration) max
 * age} instead of one {@code DescribeSecret} per credential and poll.
 *
 * <pre>{@code
 * SecretsManagerClient client = SecretsManagerClient.create();
 * SecretsManagerChangeWatch watch = SecretsManagerChangeWatch.create(client);
 * CredentialRegistry registry = CredentialRegistry.builder()
 *     .register("db", AwsSecretsManagerProvider.builder("prod/db").client(client).changeWatch(watch).build())
 *     .register("api", AwsSecretsManagerProvider.builder("prod/api").client(client).changeWatch(watch).build())
 *     .build()
 *     .start();
 * }</pre>
 *
 * <p><b>How a poll uses it.</b> Each {@link AwsSecretsManagerProvider} built with
 * {@link AwsSecretsManagerProvider.Builder#changeWatch(SecretsManagerChangeWatch)} registers its
 * secret id here. On a scheduled poll ({@link FetchReason#SCHEDULED}) the provider asks the watch
 * for an observation of its secret no older than the max age; when the last one is older, the
 * polling thread reads every registered secret with {@code BatchGetSecretValue} (up to 20 ids per
 * call, several calls for more, following {@code NextToken}), while concurrent polls wait for that
 * result instead of calling too (at most {@link Builder#apiCallTimeout(Duration)}, then they read
 * their secret directly). If the observed {@code AWSCURRENT} version is the current version
 * of the credential's ring, the poll returns the ring as it is, without any call of its own.
 * Otherwise the provider reads the secret as it does without a watch ({@code DescribeSecret}, then
 * {@code GetSecretValue} of new versions), so a watch never serves an answer the direct path would
 * not: it can only make a change noticed later, by at most the max age.
 *
 * <p>The provider goes the direct way, without asking the watch, for start-up, on-demand and
 * rejection-driven fetches; while the ring holds a pending version (a rotation in progress: the
 * batch shows only {@code AWSCURRENT}, not whether {@code AWSPENDING} moved); when the current
 * secret's rotation window (it opens at {@code NextRotationDate}) or the current credential's
 * {@link Credential#nextRotation() next rotation} (the window's end) is less than
 * {@link Builder#directBeforeRotation(Duration)} ahead or already past (so a scheduled rotation is
 * noticed as quickly as without a watch: the checks across the window read directly, and a ring the
 * watch finds unchanged announces the window's first check); for a secret the last batch did not return (an error
 * entry such as not found or access denied, a secret registered after the batch, an ARN that
 * matches no returned name or ARN); and until the max age has passed after a failed batch call,
 * which is logged (classified like the provider's own failures, naming the secret, never a value)
 * and not retried sooner. A failed batch therefore never fails a poll.
 *
 * <p><b>Why {@code BatchGetSecretValue} and not {@code ListSecrets}.</b> {@code ListSecrets} returns
 * every version's stages without values and watches up to 100 secrets per page, but AWS documents
 * it as eventually consistent (changes of the last few minutes may be missing), its {@code name}
 * filter matches prefixes with at most 10 values, and its permission cannot be scoped to a secret.
 * {@code BatchGetSecretValue} is exact and consistent, takes names and ARNs, reports missing
 * secrets one by one, and needs {@code secretsmanager:GetSecretValue} on each secret, which the
 * provider needs anyway, plus {@code secretsmanager:BatchGetSecretValue} (an action with no
 * resource, granted on {@code "*"}). Its costs: it decrypts and returns each secret's current
 * value (discarded here at once: the watch keeps only version ids and stages), CloudTrail records
 * a {@code GetSecretValue} per secret, and AWS's pricing page does not say whether a batch is
 * billed as one call or one per secret. See {@code docs/COST.md} for the figures.
 *
 * <p>A watch belongs to one {@link SecretsManagerClient}: providers refuse a watch of another
 * client (it could answer for another account or region). It owns nothing that needs closing;
 * the client stays the caller's.
 *
 * <p><b>Thread safety:</b> safe for concurrent use by any number of providers and credentials.
 */
public final class SecretsManagerChangeWatch {

  /** Default max age of an observation: the default poll interval, {@link RefreshPolicy#DEFAULT_REFRESH_INTERVAL}. */
  public static final Duration DEFAULT_MAX_AGE = RefreshPolicy.DEFAULT_REFRESH_INTERVAL;
  /** Default lead before a scheduled rotation within which polls go direct: two default poll intervals. */
  public static final Duration DEFAULT_DIRECT_BEFORE_ROTATION = RefreshPolicy.DEFAULT_REFRESH_INTERVAL.multipliedBy(2);
  /** Default bound on each batch call, and on how long a poll waits for another poll's batch. */
  public static final Duration DEFAULT_API_CALL_TIMEOUT = AwsSecretsManagerProvider.DEFAULT_API_CALL_TIMEOUT;
  /** The most secret ids one {@code BatchGetSecretValue} call takes. */
  public static final int MAX_IDS_PER_CALL = 20;

  private static final Logger log = LoggerFactory.getLogger(SecretsManagerChangeWatch.class);

  private final SecretsManagerClient client;
  private final Duration maxAge;
  private final Duration directBeforeRotation;
  private final Clock clock;
  private final Duration apiCallTimeout;
  private final AwsRequestOverrideConfiguration requestOverride;

  /** Registered secret ids, each with the providers that registered it. Guarded by itself. */
  private final Map<String, Set<Object>> registered = new LinkedHashMap<>();
  /** The last batch, or null before the first one. Written under {@link #refreshing}. */
  private volatile @Nullable Observation last;
  private final ReentrantLock refreshing = new ReentrantLock();

  private SecretsManagerChangeWatch(Builder b) {
    this.client = b.client;
    this.maxAge = b.maxAge == null ? DEFAULT_MAX_AGE : b.maxAge;
    this.directBeforeRotation = b.directBeforeRotation == null ? DEFAULT_DIRECT_BEFORE_ROTATION : b.directBeforeRotation;
    this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
    this.apiCallTimeout = b.apiCallTimeout == null ? DEFAULT_API_CALL_TIMEOUT : b.apiCallTimeout;
    this.requestOverride = AwsRequestOverrideConfiguration.builder().apiCallTimeout(apiCallTimeout).build();
  }

  /** A watch with the defaults, for {@code client}. */
  public static SecretsManagerChangeWatch create(SecretsManagerClient client) {
    return builder(client).build();
  }

  /** Starts a watch for the secrets read through {@code client}. */
  public static Builder builder(SecretsManagerClient client) {
    return new Builder(client);
  }

  /** How old an observation may be before a poll makes a new batch call. */
  public Duration maxAge() {
    return maxAge;
  }

  /** Within how long before a credential's next rotation its polls go direct. */
  public Duration directBeforeRotation() {
    return directBeforeRotation;
  }

  /** The secret ids registered now, in registration order. */
  public Set<String> secretIds() {
    synchronized (registered) {
      return Set.copyOf(registered.keySet());
    }
  }

  SecretsManagerClient client() {
    return client;
  }

  /** Adds {@code secretId} to the batches on behalf of {@code owner} (a provider). */
  void register(String secretId, Object owner) {
    synchronized (registered) {
      registered.computeIfAbsent(secretId, k -> Collections.newSetFromMap(new IdentityHashMap<>())).add(owner);
    }
  }

  /** Withdraws {@code owner}'s registration; the id leaves the batches with its last owner. Idempotent. */
  void release(String secretId, Object owner) {
    synchronized (registered) {
      Set<Object> owners = registered.get(secretId);
      if (owners != null && owners.remove(owner) && owners.isEmpty()) {
        registered.remove(secretId);
      }
    }
  }

  /**
   * The known ring as the result of this fetch, when a recent batch shows that the secret's
   * {@code AWSCURRENT} is still the ring's current version; empty when the provider must read the
   * secret itself.
   *
   * @param where the region and endpoint, for messages
   * @param window the secret's rotation window as last read directly, if it has one: polls from
   *     {@code directBeforeRotation} before it opens go direct (the credential's next rotation is the
   *     window's end), and an unchanged ring announces the window's first check as the next change
   */
  Optional<FetchResult> unchanged(String secretId, FetchContext context, String where, @Nullable RotationWindow window) {
    if (context.reason() != FetchReason.SCHEDULED || context.knownRing().isEmpty()) {
      return Optional.empty();
    }
    KeyRing ring = context.knownRing().get();
    if (ring.pending().isPresent()) {
      return Optional.empty();
    }
    Credential current = ring.current();
    Instant now = clock.instant();
    if (current.nextRotation().filter(at -> at.isBefore(now.plus(directBeforeRotation))).isPresent()) {
      return Optional.empty();
    }
    if (window != null && window.start().isBefore(now.plus(directBeforeRotation))) {
      return Optional.empty();
    }
    Optional<String> observed = currentVersion(secretId, context.credentialName(), where, now);
    if (observed.isEmpty() || !observed.get().equals(current.version())) {
      return Optional.empty();
    }
    FetchResult.Builder result = FetchResult.builder(current).historyReported(true)
        .nextChange(window == null ? null : window.nextCheck(now).orElse(null));
    ring.previous().forEach(result::previous);
    return Optional.of(result.build());
  }

  /** The AWSCURRENT version id of {@code secretId} in an observation no older than the max age. */
  private Optional<String> currentVersion(String secretId, String credentialName, String where, Instant now) {
    Observation observation = last;
    if (observation == null || isStale(observation, now)) {
      // polls that find the batch under way wait for it, but never longer than one call may take
      boolean locked;
      try {
        locked = refreshing.tryLock(apiCallTimeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
      if (!locked) {
        return Optional.empty();
      }
      try {
        observation = last;
        if (observation == null || isStale(observation, clock.instant())) {
          observation = observe(secretId, credentialName, where);
          last = observation;
        }
      } finally {
        refreshing.unlock();
      }
    }
    return Optional.ofNullable(observation.currentVersions().get(secretId));
  }

  private boolean isStale(Observation observation, Instant now) {
    return !now.isBefore(observation.takenAt().plus(maxAge));
  }

  /** Reads every registered secret; a chunk that fails leaves its secrets out of the observation. */
  private Observation observe(String askingSecret, String credentialName, String where) {
    Instant takenAt = clock.instant();
    List<String> ids;
    synchronized (registered) {
      ids = new ArrayList<>(registered.keySet());
    }
    Map<String, String> versions = new HashMap<>();
    int calls = 0;
    for (int from = 0; from < ids.size(); from += MAX_IDS_PER_CALL) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_IDS_PER_CALL));
      List<SecretValueEntry> entries = new ArrayList<>();
      List<APIErrorType> errors = new ArrayList<>();
      try {
        for (BatchGetSecretValueResponse page : client.batchGetSecretValuePaginator(BatchGetSecretValueRequest.builder()
            .secretIdList(chunk)
            .overrideConfiguration(requestOverride)
            .build())) {
          calls++;
          entries.addAll(page.secretValues());
          errors.addAll(page.errors());
        }
      } catch (SdkException e) {
        BackendException failure = AwsFailureClassifier.classify(
            e, "BatchGetSecretValue", credentialName, AwsSecretsManagerProvider.BACKEND, askingSecret, where);
        log.warn("The change watch could not read {} secrets {} in one call: {}; "
            + "their polls read each secret with DescribeSecret until {}", chunk.size(), chunk,
            failure.getMessage(), takenAt.plus(maxAge));
        continue;
      }
      for (String id : chunk) {
        entries.stream()
            .filter(entry -> matches(id, entry))
            .findFirst()
            .filter(entry -> entry.versionId() != null && entry.versionStages().contains(AwsSecretsManagerProvider.AWSCURRENT))
            .ifPresent(entry -> versions.put(id, entry.versionId()));
      }
      for (APIErrorType error : errors) {
        log.debug("The change watch got no version of secret '{}' ({}: {}); its polls read it directly",
            error.secretId(), error.errorCode(), error.message());
      }
    }
    log.debug("The change watch read {} of {} secrets in {} BatchGetSecretValue calls", versions.size(), ids.size(), calls);
    return new Observation(takenAt, Map.copyOf(versions));
  }

  /**
   * Whether {@code entry} is the secret asked for as {@code id}: its name, its ARN, or its ARN
   * without the six random characters AWS appends (a partial ARN).
   */
  static boolean matches(String id, SecretValueEntry entry) {
    String arn = entry.arn();
    if (id.equals(entry.name()) || id.equals(arn)) {
      return true;
    }
    return arn != null && id.startsWith("arn:") && arn.length() == id.length() + 7 && arn.startsWith(id + "-");
  }

  @Override
  public String toString() {
    return "SecretsManagerChangeWatch[secrets=" + secretIds().size() + ", maxAge=" + maxAge + "]";
  }

  /** What one batch saw: the AWSCURRENT version id per secret id asked for. */
  private record Observation(Instant takenAt, Map<String, String> currentVersions) {}

  /** Configures a {@link SecretsManagerChangeWatch}. Not thread-safe; each setting may be made once. */
  public static final class Builder {
    private final SecretsManagerClient client;
    private @Nullable Duration maxAge;
    private @Nullable Duration directBeforeRotation;
    private @Nullable Duration apiCallTimeout;
    private @Nullable Clock clock;

    private Builder(SecretsManagerClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * How old an observation may be before the next scheduled poll makes a new batch call (default
     * {@link #DEFAULT_MAX_AGE}). With many credentials polling at their own phases, batch calls
     * happen about once per max age; a change is noticed up to one max age later than without a
     * watch. A failed batch call is not retried before this time either.
     *
     * @throws IllegalArgumentException if {@code maxAge} is zero or negative
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = once("maxAge", this.maxAge, positive("maxAge", maxAge));
      return this;
    }

    /**
     * Within how long before the secret's rotation window opens (AWS {@code NextRotationDate}), or
     * before the current credential's next rotation, and after it while the rotation has not been
     * seen, polls read the secret directly (default
     * {@link #DEFAULT_DIRECT_BEFORE_ROTATION}, two default poll intervals). Zero sends polls through
     * the watch until the next rotation is due.
     *
     * @throws IllegalArgumentException if {@code lead} is negative
     */
    public Builder directBeforeRotation(Duration lead) {
      Objects.requireNonNull(lead, "directBeforeRotation");
      if (lead.isNegative()) {
        throw new IllegalArgumentException("directBeforeRotation must not be negative, but was " + lead);
      }
      this.directBeforeRotation = once("directBeforeRotation", this.directBeforeRotation, lead);
      return this;
    }

    /**
     * A bound on each batch call, applied per request, and on how long a poll waits for a batch
     * another poll has under way before reading its secret directly (default
     * {@link #DEFAULT_API_CALL_TIMEOUT}). Keep it well below the credentials' attempt timeout:
     * the batch runs inside a poll.
     *
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder apiCallTimeout(Duration timeout) {
      this.apiCallTimeout = once("apiCallTimeout", this.apiCallTimeout, positive("apiCallTimeout", timeout));
      return this;
    }

    /** The clock that ages observations (default the system clock); pass the credentials' clock. */
    public Builder clock(Clock clock) {
      this.clock = once("clock", this.clock, clock);
      return this;
    }

    /** Builds the watch; it makes no call until a scheduled poll asks it. */
    public SecretsManagerChangeWatch build() {
      return new SecretsManagerChangeWatch(this);
    }
  }
}
