package io.github.rotate4j.testing;

import io.github.rotate4j.Credential;
import io.github.rotate4j.Scheduler;
import io.github.rotate4j.spi.AsyncCredentialProvider;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * An asynchronous view of an {@link InMemoryCredentialProvider}: {@link #fetchAsync} and
 * {@link #renewAsync} return at once, holding no thread, and their stages complete after a
 * configured latency on a {@link Scheduler}. With {@link ManualTime#scheduler()} a test drives the
 * answers with {@link ManualTime#advance}, without sleeping.
 *
 * <pre>{@code
 * ManualTime time = ManualTime.create();
 * InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder()
 *     .clock(time.clock()).initialValue("key-1").build();
 * AsyncInMemoryCredentialProvider async =
 *     AsyncInMemoryCredentialProvider.over(backend, time.scheduler(), Duration.ofMillis(50));
 * // build the credential on `async`, start it, then:
 * time.advance(Duration.ofMillis(50));   // the fetch answers now
 * }</pre>
 *
 * <p>The backend is read when the answer is due, so a lease is issued at that instant, and the
 * backend's failures ({@link InMemoryCredentialProvider#failNext}) complete the stage exceptionally.
 * Don't use the backend's own {@link InMemoryCredentialProvider#hold()} with this view (it would
 * block the thread that advances time): {@link #hold()} here keeps answers back instead, for as long
 * as a test wants, like a request that never completes. Revocation is the backend's, blocking.
 *
 * <p>Thread-safe.
 */
public final class AsyncInMemoryCredentialProvider implements AsyncCredentialProvider {

  private final InMemoryCredentialProvider backend;
  private final Scheduler scheduler;
  private final ReentrantLock lock = new ReentrantLock();
  private Duration latency; // guarded by lock
  private boolean holding; // guarded by lock
  private final List<Runnable> held = new ArrayList<>(); // guarded by lock
  private final List<CountDownLatch> startWaiters = new ArrayList<>(); // guarded by lock
  private final AtomicInteger starts = new AtomicInteger();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicInteger maxOutstanding = new AtomicInteger();

  private AsyncInMemoryCredentialProvider(InMemoryCredentialProvider backend, Scheduler scheduler, Duration latency) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.latency = nonNegative(latency);
  }

  /**
   * Answers from {@code backend}, each {@code latency} after it was asked, on {@code scheduler}.
   *
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public static AsyncInMemoryCredentialProvider over(InMemoryCredentialProvider backend, Scheduler scheduler,
      Duration latency) {
    return new AsyncInMemoryCredentialProvider(backend, scheduler, latency);
  }

  @Override
  public String backend() {
    return backend.backend();
  }

  @Override
  public String path() {
    return backend.path();
  }

  @Override
  public String backendId() {
    return backend.backendId();
  }

  @Override
  public CompletionStage<FetchResult> fetchAsync(FetchContext context) {
    return answerLater(() -> backend.fetch(context));
  }

  @Override
  public CompletionStage<Credential> renewAsync(Credential lease, FetchContext context) {
    return answerLater(() -> backend.renew(lease, context));
  }

  @Override
  public void revoke(Credential lease) {
    backend.revoke(lease);
  }

  // ---- driving ------------------------------------------------------------------------------

  /** Changes the latency of calls made from now on. */
  public void latency(Duration latency) {
    nonNegative(latency);
    lock.lock();
    try {
      this.latency = latency;
    } finally {
      lock.unlock();
    }
  }

  /** Keeps the answers of calls made from now on back until {@link #release()}: they never complete until then. */
  public void hold() {
    lock.lock();
    try {
      holding = true;
    } finally {
      lock.unlock();
    }
  }

  /** Answers every held call now, on the calling thread, in the order they were made, and stops holding. */
  public void release() {
    List<Runnable> answers;
    lock.lock();
    try {
      holding = false;
      answers = new ArrayList<>(held);
      held.clear();
    } finally {
      lock.unlock();
    }
    answers.forEach(Runnable::run);
  }

  /** Waits (real time) until {@code count} calls have been made in all; true if they were. */
  public boolean awaitStarts(int count, Duration timeout) throws InterruptedException {
    CountDownLatch reached;
    lock.lock();
    try {
      if (starts.get() >= count) {
        return true;
      }
      reached = new CountDownLatch(count - starts.get());
      startWaiters.add(reached);
    } finally {
      lock.unlock();
    }
    return reached.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  // ---- observing ----------------------------------------------------------------------------

  /** Calls made so far (fetches and renewals, answered or not). */
  public int startCount() {
    return starts.get();
  }

  /** Calls made and not answered yet. */
  public int outstandingCalls() {
    return outstanding.get();
  }

  /** The most calls that were ever outstanding at once. */
  public int maxOutstandingCalls() {
    return maxOutstanding.get();
  }

  private <T> CompletableFuture<T> answerLater(Supplier<T> call) {
    maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
    CompletableFuture<T> stage = new CompletableFuture<>();
    Runnable answer = () -> {
      T result;
      try {
        result = call.get();
      } catch (RuntimeException e) {
        outstanding.decrementAndGet();
        stage.completeExceptionally(e);
        return;
      }
      outstanding.decrementAndGet();
      stage.complete(result);
    };
    Duration delay = null;
    lock.lock();
    try {
      if (holding) {
        held.add(answer);
      } else {
        delay = latency;
      }
    } finally {
      lock.unlock();
    }
    if (delay != null) {
      scheduler.schedule(answer, delay);
    }
    lock.lock();
    try {
      // counted once the answer is scheduled, so that a test that saw the call can advance time past it
      starts.incrementAndGet();
      startWaiters.forEach(CountDownLatch::countDown);
      startWaiters.removeIf(l -> l.getCount() == 0);
    } finally {
      lock.unlock();
    }
    return stage;
  }

  private static Duration nonNegative(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, but was " + latency);
    }
    return latency;
  }

  @Override
  public String toString() {
    return "AsyncInMemoryCredentialProvider[" + backend.path() + "]";
  }
}
