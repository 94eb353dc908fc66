package io.github.rotate4j;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription per circuit breaker, fanning its state transitions out to the credentials that
 * use it now. Resilience4j offers no way to unsubscribe, so credentials never subscribe themselves: a
 * closed credential leaves the fan-out and becomes unreachable from the breaker. Each transition is
 * logged once (INFO), not once per credential.
 */
final class BreakerFanOut {

  private static final Logger log = LoggerFactory.getLogger(RotatingCredential.class);
  private static final Map<CircuitBreaker, BreakerFanOut> BY_BREAKER = new WeakHashMap<>(); // guarded by itself

  /** What a credential implements to take its breaker's transitions (no adapter object per credential). */
  interface Member {
    void onBreakerTransition(CircuitBreakerOnStateTransitionEvent e);
  }

  /**
   * A concurrent hash set, not a copy-on-write one: thousands of credentials may share a breaker, and
   * each join or leave would copy the whole array (quadratic over a registry's start or close).
   * Iteration is weakly consistent: a credential joining during a transition may or may not get it,
   * as it would have had it joined a moment earlier or later.
   */
  private final Set<Member> members = ConcurrentHashMap.newKeySet();

  private BreakerFanOut() {}

  /** Adds {@code member} to the fan-out of {@code breaker}; remove it with {@link #leave} when done. */
  static void join(CircuitBreaker breaker, Member member) {
    BreakerFanOut fanOut;
    synchronized (BY_BREAKER) {
      fanOut = BY_BREAKER.get(breaker);
      if (fanOut == null) {
        BreakerFanOut created = new BreakerFanOut();
        String name = breaker.getName();
        breaker.getEventPublisher().onStateTransition(e -> created.publish(name, e));
        BY_BREAKER.put(breaker, created);
        fanOut = created;
      }
    }
    fanOut.members.add(member);
  }

  static void leave(CircuitBreaker breaker, Member member) {
    BreakerFanOut fanOut;
    synchronized (BY_BREAKER) {
      fanOut = BY_BREAKER.get(breaker);
    }
    if (fanOut != null) {
      fanOut.members.remove(member);
    }
  }

  /** Credentials currently listening to {@code breaker} (for tests). */
  static int members(CircuitBreaker breaker) {
    synchronized (BY_BREAKER) {
      BreakerFanOut f = BY_BREAKER.get(breaker);
      return f == null ? 0 : f.members.size();
    }
  }

  private void publish(String breakerName, CircuitBreakerOnStateTransitionEvent e) {
    log.info("circuit breaker '{}': {} -> {} ({} credential(s))", breakerName,
        e.getStateTransition().getFromState(), e.getStateTransition().getToState(), members.size());
    for (Member m : members) {
      try {
        m.onBreakerTransition(e);
      } catch (RuntimeException ex) {
        log.warn("circuit breaker '{}': a credential failed to take its state change: {}", breakerName, ex.toString());
      }
    }
  }
}
