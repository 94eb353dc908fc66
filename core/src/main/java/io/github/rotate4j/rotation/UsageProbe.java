package io.github.rotate4j.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Answers, at the end of the grace window, whether the old key is still presented. The old key is
 * revoked only when the answer is {@link Verdict#UNUSED}; {@link Verdict#IN_USE} and {@link
 * Verdict#UNKNOWN} keep it live and are reported loudly, and the next run asks again.
 *
 * <p>Ready-made probes: {@link #issuerLastUse}, {@link #consumerMatches}, {@link #afterTime}, and
 * {@link #allOf} to require several.
 */
@FunctionalInterface
public interface UsageProbe {

  /** The probe's answer. */
  enum Verdict {
    /** The old key is no longer presented: safe to revoke. */
    UNUSED,
    /** The old key is still presented. */
    IN_USE,
    /** The probe cannot tell; treated as in use. */
    UNKNOWN
  }

  /**
   * The old key being asked about.
   *
   * @param version its store version
   * @param keyId its id at the issuer, when known
   * @param promotedAt when its successor became current
   */
  record OldKey(String version, Optional<String> keyId, Instant promotedAt) {
    public OldKey {
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(promotedAt, "promotedAt");
    }
  }

  /**
   * A verdict and why.
   *
   * @param verdict the answer
   * @param detail a readable reason, never a secret
   */
  record Usage(Verdict verdict, String detail) {
    public Usage {
      Objects.requireNonNull(verdict, "verdict");
      Objects.requireNonNull(detail, "detail");
    }

    public static Usage unused(String detail) {
      return new Usage(Verdict.UNUSED, detail);
    }

    public static Usage inUse(String detail) {
      return new Usage(Verdict.IN_USE, detail);
    }

    public static Usage unknown(String detail) {
      return new Usage(Verdict.UNKNOWN, detail);
    }
  }

  /**
   * Asks about {@code oldKey} at {@code now}.
   *
   * @throws RuntimeException when the probe fails; treated as {@link Verdict#UNKNOWN}
   */
  Usage check(OldKey oldKey, Instant now);

  /**
   * The issuer's last-use data: unused when the service last saw the key at least {@code quiet}
   * before {@code now}, or never; in use otherwise. Unknown when the issuer does not report last use
   * ({@link KeyIssuer#reportsLastUse()}) or the old key's id is unknown.
   */
  static UsageProbe issuerLastUse(KeyIssuer issuer, Duration quiet) {
    Objects.requireNonNull(issuer, "issuer");
    requireNonNegative(quiet, "quiet");
    return (oldKey, now) -> {
      if (!issuer.reportsLastUse()) {
        return Usage.unknown("the issuer does not report last use");
      }
      if (oldKey.keyId().isEmpty()) {
        return Usage.unknown("the old key's id at the issuer is unknown");
      }
      Optional<Instant> last = issuer.lastUsed(oldKey.keyId().get());
      if (last.isEmpty()) {
        return Usage.unused("the issuer reports no use of key " + oldKey.keyId().get());
      }
      Instant quietSince = now.minus(quiet);
      return last.get().isAfter(quietSince)
          ? Usage.inUse("key " + oldKey.keyId().get() + " was last used at " + last.get()
              + ", within the last " + quiet)
          : Usage.unused("key " + oldKey.keyId().get() + " was last used at " + last.get());
    };
  }

  /**
   * The consumers' key-ring match counts: {@code recentMatchesByVersion} gives, per store version,
   * how often consumers matched a presented key against it over a recent window (for example the
   * {@code rotate4j.keyring.match} metric over the last hour, or the sum of {@code
   * RotatingCredential#matchCounts()} deltas collected from the fleet). Unused when the old version
   * has no matches.
   */
  static UsageProbe consumerMatches(Supplier<Map<String, Long>> recentMatchesByVersion) {
    Objects.requireNonNull(recentMatchesByVersion, "recentMatchesByVersion");
    return (oldKey, now) -> {
      long n = recentMatchesByVersion.get().getOrDefault(oldKey.version(), 0L);
      return n == 0
          ? Usage.unused("consumers matched no key against version " + oldKey.version())
          : Usage.inUse("consumers matched version " + oldKey.version() + " " + n + " times recently");
    };
  }

  /**
   * Time alone: unused once {@code quiet} has passed since promotion. For when nothing better is
   * known, e.g. consumers that reload the key on a known schedule.
   */
  static UsageProbe afterTime(Duration quiet) {
    requireNonNegative(quiet, "quiet");
    return (oldKey, now) -> now.isBefore(oldKey.promotedAt().plus(quiet))
        ? Usage.inUse("less than " + quiet + " since promotion at " + oldKey.promotedAt())
        : Usage.unused(quiet + " passed since promotion at " + oldKey.promotedAt());
  }

  /** Unused only when every probe says unused; otherwise the first other answer. */
  static UsageProbe allOf(UsageProbe... probes) {
    List<UsageProbe> all = List.of(probes);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("allOf needs at least one probe");
    }
    return (oldKey, now) -> {
      StringBuilder details = new StringBuilder();
      for (UsageProbe p : all) {
        Usage u = p.check(oldKey, now);
        if (u.verdict() != Verdict.UNUSED) {
          return u;
        }
        details.append(details.length() == 0 ? "" : "; ").append(u.detail());
      }
      return Usage.unused(details.toString());
    };
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, but was " + d);
    }
  }
}
