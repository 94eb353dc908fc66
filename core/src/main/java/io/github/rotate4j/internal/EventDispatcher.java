package io.github.rotate4j.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to listeners off the caller's thread, each listener on its own serial, bounded
 * queue drained on a shared executor. One listener's slowness or failure never delays another
 * listener, and never the thread that publishes.
 *
 * <ul>
 *   <li><b>Order:</b> each listener receives events in the order they were published, one at a time.
 *   <li><b>Failures:</b> an exception thrown by a listener is logged (WARN) and the next event is
 *       delivered as usual.
 *   <li><b>Lag:</b> when a listener has {@code capacity} events waiting, the <em>oldest</em> waiting
 *       event is dropped to make room for the new one (a listener that lags behind most needs the
 *       latest state). The first drop of a lag episode is logged at WARN; when the listener has caught
 *       up, one INFO line says how many events it missed.
 *   <li><b>Shut-down executor:</b> events that cannot be handed to the executor are dropped (DEBUG).
 * </ul>
 *
 * <p>Thread-safe. Each drain task delivers at most {@value #BATCH} events before yielding the
 * executor's thread to other listeners.
 *
 * <p>Small while unused: a dispatcher without listeners holds no list, queue or lock of its own (a
 * registry may hold thousands), and a listener's queue exists only while events wait for it.
 *
 * @param <E> the event type
 */
public final class EventDispatcher<E> {

  /** Default number of events a listener may have waiting before the oldest is dropped. */
  public static final int DEFAULT_CAPACITY = 1024;
  static final int BATCH = 64;
  /** A listener's queue starts this small: most events come alone. */
  private static final int INITIAL_QUEUE = 4;

  private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

  private final Executor executor;
  private final int capacity;
  private final Object owner;
  /** Replaced whole by {@link #subscribe} (rare); read without a lock by {@link #dispatch}. */
  private volatile List<Subscriber> subscribers = List.of();

  /**
   * @param executor where listeners run
   * @param capacity events a listener may have waiting, at least 1
   * @param owner what the events are about, for log lines (e.g. {@code credential 'db' [vault ...]});
   *     its {@code toString()} is called only when a line is written
   */
  public EventDispatcher(Executor executor, int capacity, Object owner) {
    this.executor = Objects.requireNonNull(executor, "executor");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, but was " + capacity);
    }
    this.capacity = capacity;
    this.owner = Objects.requireNonNull(owner, "owner");
  }

  /** Adds a listener; {@code description} names it in log lines. */
  public void subscribe(String description, Consumer<? super E> listener) {
    subscribe(listener, description, listener);
  }

  /**
   * Adds a listener that {@link #unsubscribe} can later remove by {@code key} (compared by identity;
   * the listener object the caller knows, when {@code listener} is an adapter around it).
   */
  public void subscribe(Object key, String description, Consumer<? super E> listener) {
    Subscriber added = new Subscriber(Objects.requireNonNull(key, "key"), description,
        Objects.requireNonNull(listener, "listener"));
    synchronized (this) {
      List<Subscriber> next = new ArrayList<>(subscribers.size() + 1);
      next.addAll(subscribers);
      next.add(added);
      subscribers = List.copyOf(next);
    }
  }

  /**
   * Removes the listener subscribed first under {@code key} (by identity). Events waiting for it are
   * dropped; an event it is taking right now is the last one it gets.
   *
   * @return whether such a listener was subscribed
   */
  public boolean unsubscribe(Object key) {
    Subscriber removed = null;
    synchronized (this) {
      List<Subscriber> next = new ArrayList<>(subscribers);
      for (int i = 0; i < next.size(); i++) {
        if (next.get(i).key == key) {
          removed = next.remove(i);
          break;
        }
      }
      if (removed == null) {
        return false;
      }
      subscribers = List.copyOf(next);
    }
    removed.cancel();
    return true;
  }

  /** Listeners subscribed so far. */
  public int listeners() {
    return subscribers.size();
  }

  /** Listeners that have events waiting, i.e. hold a queue right now (for tests and diagnostics). */
  public int listenersWithQueue() {
    int n = 0;
    for (Subscriber s : subscribers) {
      n += s.hasQueue() ? 1 : 0;
    }
    return n;
  }

  /** Queues {@code event} for every listener; never blocks, never throws. */
  public void dispatch(E event) {
    for (Subscriber s : subscribers) {
      s.offer(event);
    }
  }

  /** Events dropped so far because listeners lagged, over all listeners. */
  public long droppedEvents() {
    return subscribers.stream().mapToLong(s -> s.droppedTotal).sum();
  }

  /** One listener and its queue; the queue exists only while events wait (guarded by this object). */
  private final class Subscriber implements Runnable {
    private final Object key;
    private final String description;
    private final Consumer<? super E> listener;
    private @Nullable ArrayDeque<E> queue;
    private boolean scheduled; // a drain task is queued or running
    private boolean cancelled; // unsubscribed: takes no more events
    private long droppedInEpisode;
    private volatile long droppedTotal;

    Subscriber(Object key, String description, Consumer<? super E> listener) {
      this.key = key;
      this.description = description;
      this.listener = listener;
    }

    /** Unsubscribed: drops what waits, and a dispatch still holding the old list adds nothing. */
    synchronized void cancel() {
      cancelled = true;
      queue = null;
    }

    void offer(E event) {
      boolean submit;
      boolean firstDrop = false;
      synchronized (this) {
        if (cancelled) {
          return;
        }
        ArrayDeque<E> q = queue;
        if (q == null) {
          q = new ArrayDeque<>(INITIAL_QUEUE);
          queue = q;
        } else if (q.size() >= capacity) {
          q.pollFirst();
          firstDrop = droppedInEpisode == 0;
          droppedInEpisode++;
          droppedTotal++;
        }
        q.addLast(event);
        submit = !scheduled;
        scheduled = true;
      }
      if (firstDrop) {
        log.warn("{}: listener {} lags {} events behind; dropping its oldest events until it catches up",
            owner, description, capacity);
      }
      if (submit) {
        submit();
      }
    }

    /** Whether events wait for this listener (for tests). */
    synchronized boolean hasQueue() {
      return queue != null;
    }

    private void submit() {
      try {
        executor.execute(this);
      } catch (RejectedExecutionException e) {
        int lost;
        synchronized (this) {
          lost = queue == null ? 0 : queue.size();
          queue = null;
          scheduled = false;
        }
        log.debug("{}: {} event(s) for listener {} dropped, the event executor is shut down", owner, lost, description);
      }
    }

    @Override
    public void run() {
      for (int i = 0; i < BATCH; i++) {
        E next;
        long caughtUpAfter = 0;
        synchronized (this) {
          next = queue == null ? null : queue.pollFirst();
          if (next == null) {
            queue = null; // drained: an idle listener holds no queue
            scheduled = false;
            caughtUpAfter = droppedInEpisode;
            droppedInEpisode = 0;
          }
        }
        if (next == null) {
          if (caughtUpAfter > 0) {
            log.info("{}: listener {} caught up after missing {} event(s)", owner, description, caughtUpAfter);
          }
          return;
        }
        try {
          listener.accept(next);
        } catch (RuntimeException e) {
          log.warn("{}: listener {} failed on {}: {}", owner, description, next.getClass().getSimpleName(), e.toString());
        }
      }
      submit(); // more waiting: yield the thread, continue in a new task
    }
  }
}
