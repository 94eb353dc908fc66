package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EngineContextTest {

  private static final long WAIT_SECONDS = 10;
  private final List<EngineContext> opened = new ArrayList<>();
  private final List<ExecutorService> pools = new ArrayList<>();

  @AfterEach
  void closeEverything() {
    opened.forEach(EngineContext::close);
    pools.forEach(ExecutorService::shutdownNow);
  }

  private final EngineContext.SharedThreads shared =
      new EngineContext.SharedThreads(() -> new EngineContext.IoSettings(4, 2, false));

  private EngineContext standalone() {
    EngineContext c = new EngineContext(null, null, null, null, shared);
    opened.add(c);
    return c;
  }

  private static Thread runOn(java.util.concurrent.Executor executor) throws Exception {
    CompletableFuture<Thread> ran = new CompletableFuture<>();
    executor.execute(() -> ran.complete(Thread.currentThread()));
    return ran.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void standaloneContexts_borrowTheDefaultThreadsOnFirstUse_andShareThem() throws Exception {
    EngineContext a = standalone();
    EngineContext b = standalone();
    assertThat(shared.current()).as("nothing is created before it is needed").isNull();

    Thread first = runOn(a.ioFor("vault@x"));
    EngineContext.DefaultThreads threads = shared.current();
    assertThat(threads).isNotNull();
    assertThat(a.borrowsDefaultThreads()).isTrue();
    assertThat(b.borrowsDefaultThreads()).isFalse();

    runOn(b.io);
    assertThat(shared.current()).isSameAs(threads);
    assertThat(((ThreadPoolExecutor) threads.ioPool).getLargestPoolSize()).isLessThanOrEqualTo(2);
    assertThat(first.getName()).startsWith("rotate4j-io-");
  }

  @Test
  void defaultThreads_areShutDownWhenTheLastContextThatUsedThemCloses() throws Exception {
    EngineContext a = standalone();
    EngineContext b = standalone();
    EngineContext unused = standalone();
    runOn(a.events);
    runOn(b.io);
    EngineContext.DefaultThreads threads = shared.current();

    unused.close();
    a.close();
    a.close(); // idempotent: the second close gives nothing back
    assertThat(threads.isTerminated()).isFalse();
    assertThat(shared.current()).isSameAs(threads);
    assertThatThrownBy(() -> a.io.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    assertThatThrownBy(() -> a.scheduler.schedule(() -> {}, Duration.ZERO))
        .isInstanceOf(RejectedExecutionException.class);

    b.close();
    assertThat(threads.isTerminated()).isTrue();
    assertThat(shared.current()).isNull();

    EngineContext c = standalone();
    runOn(c.io);
    assertThat(shared.current()).isNotNull().isNotSameAs(threads);
    c.close();
    assertThat(shared.current()).isNull();
  }

  @Test
  void suppliedExecutors_areUsedAsGiven_andNothingIsBorrowed() {
    ManualTime time = ManualTime.create();
    EngineContext c = new EngineContext(time.clock(), time.scheduler(), ManualTime.directExecutor(),
        ManualTime.directExecutor());
    opened.add(c);

    assertThat(c.borrowsDefaultThreads()).isFalse();
    assertThat(c.ioFor("vault@x")).isSameAs(c.io);
    assertThat(shared.current()).isNull();
  }

  @Test
  void defaultThreads_areNamedDaemonThreads() throws Exception {
    EngineContext c = standalone();
    CompletableFuture<Thread> io = new CompletableFuture<>();
    CompletableFuture<Thread> scheduled = new CompletableFuture<>();
    CompletableFuture<Thread> event = new CompletableFuture<>();
    c.ioFor("aws@eu-west-1").execute(() -> io.complete(Thread.currentThread()));
    c.scheduler.schedule(() -> scheduled.complete(Thread.currentThread()), Duration.ZERO);
    c.events.execute(() -> event.complete(Thread.currentThread()));

    for (CompletableFuture<Thread> f : List.of(io, scheduled, event)) {
      Thread t = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(t.isDaemon()).as(t.getName()).isTrue();
    }
    assertThat(io.get().getName()).startsWith("rotate4j-io-");
    assertThat(scheduled.get().getName()).startsWith("rotate4j-scheduler-");
    assertThat(event.get().getName()).startsWith("rotate4j-events-");
  }

  @Test
  void ioPool_neverExceedsItsBound() throws Exception {
    EngineContext.DefaultThreads threads = new EngineContext.DefaultThreads(new EngineContext.IoSettings(3, 100, false));
    pools.add(threads.ioPool);
    pools.add(threads.eventPool);
    pools.add(threads.schedulerPool);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(20);
    for (int i = 0; i < 20; i++) {
      threads.ioFor("backend-" + (i % 5)).execute(() -> {
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        await(release);
        running.decrementAndGet();
        done.countDown();
      });
    }
    awaitCondition(() -> running.get() == 3);
    release.countDown();

    assertThat(done.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(maxRunning.get()).isEqualTo(3);
    assertThat(((ThreadPoolExecutor) threads.ioPool).getLargestPoolSize()).isEqualTo(3);
  }

  @Test
  void callsToOneBackend_areCapped_whileOtherBackendsGoOn() throws Exception {
    EngineContext.DefaultThreads threads = new EngineContext.DefaultThreads(new EngineContext.IoSettings(8, 2, false));
    pools.add(threads.ioPool);
    pools.add(threads.eventPool);
    pools.add(threads.schedulerPool);
    CountDownLatch releaseSlow = new CountDownLatch(1);
    AtomicInteger slowRunning = new AtomicInteger();
    AtomicInteger slowMax = new AtomicInteger();
    CountDownLatch slowDone = new CountDownLatch(6);
    for (int i = 0; i < 6; i++) {
      threads.ioFor("slow").execute(() -> {
        slowMax.accumulateAndGet(slowRunning.incrementAndGet(), Math::max);
        await(releaseSlow);
        slowRunning.decrementAndGet();
        slowDone.countDown();
      });
    }
    CountDownLatch fastDone = new CountDownLatch(4);
    for (int i = 0; i < 4; i++) {
      threads.ioFor("fast").execute(fastDone::countDown);
    }

    assertThat(fastDone.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the other backend is not held up").isTrue();
    awaitCondition(() -> slowRunning.get() == 2);
    releaseSlow.countDown();
    assertThat(slowDone.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(slowMax.get()).isEqualTo(2);
  }

  @Test
  void limited_runsWaitingTasksInArrivalOrder_andSurvivesAFailingTask() {
    List<Runnable> handedOver = new ArrayList<>();
    Threads.Limited limited = new Threads.Limited(handedOver::add, 1);
    List<Integer> ran = new CopyOnWriteArrayList<>();
    limited.execute(() -> {
      ran.add(0);
      throw new IllegalStateException("boom");
    });
    limited.execute(() -> ran.add(1));
    limited.execute(() -> ran.add(2));
    assertThat(handedOver).hasSize(1);
    assertThat(limited.waiting()).isEqualTo(2);

    handedOver.get(0).run(); // one thread runs the first task, then takes the waiting ones in turn

    assertThat(ran).containsExactly(0, 1, 2);
    assertThat(limited.running()).isZero();
    assertThat(limited.waiting()).isZero();
  }

  @Test
  void limited_releasesTheSlotWhenTheDelegateRefuses() {
    Threads.Limited limited = new Threads.Limited(task -> {
      throw new RejectedExecutionException("shut down");
    }, 1);

    assertThatThrownBy(() -> limited.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    assertThatThrownBy(() -> limited.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    assertThat(limited.running()).isZero();
  }

  @Test
  void virtualThreads_areFoundOnlyWhereTheRunningJavaHasThem() {
    boolean expected = Runtime.version().feature() >= 21;
    java.util.Optional<ExecutorService> virtual = Threads.virtualIo();
    virtual.ifPresent(pools::add);
    assertThat(virtual.isPresent()).isEqualTo(expected);
  }

  @Test
  void virtualThreadsSetting_fallsBackToTheBoundedPlatformPool_onAJavaWithoutThem() throws Exception {
    EngineContext.DefaultThreads threads = new EngineContext.DefaultThreads(new EngineContext.IoSettings(2, 2, true));
    pools.add(threads.ioPool);
    pools.add(threads.eventPool);
    pools.add(threads.schedulerPool);
    CompletableFuture<Thread> ran = new CompletableFuture<>();
    threads.ioFor("b").execute(() -> ran.complete(Thread.currentThread()));
    Thread t = ran.get(WAIT_SECONDS, TimeUnit.SECONDS);

    boolean virtualAvailable = Runtime.version().feature() >= 21;
    assertThat(threads.usesVirtualThreads()).isEqualTo(virtualAvailable);
    assertThat(t.getName()).startsWith(virtualAvailable ? "rotate4j-io-virtual-" : "rotate4j-io-");
  }

  @ParameterizedTest
  @CsvSource({
      "rotate4j.io.maxThreads, 0, 'rotate4j.io.maxThreads must be at least 1, but was 0'",
      "rotate4j.io.maxThreads, many, 'rotate4j.io.maxThreads must be a whole number, but was ''many'''",
      "rotate4j.io.maxCallsPerBackend, -2, 'rotate4j.io.maxCallsPerBackend must be at least 1, but was -2'",
      "rotate4j.io.virtualThreads, yes, 'rotate4j.io.virtualThreads must be true or false, but was ''yes'''",
  })
  void settings_nameTheBadPropertyAndValue(String property, String value, String message) {
    String before = System.getProperty(property);
    System.setProperty(property, value);
    try {
      assertThatThrownBy(EngineContext.IoSettings::fromSystemProperties)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(message);
    } finally {
      if (before == null) {
        System.clearProperty(property);
      } else {
        System.setProperty(property, before);
      }
    }
  }

  @Test
  void settings_defaults() {
    EngineContext.IoSettings s = EngineContext.IoSettings.fromSystemProperties();
    assertThat(s).isEqualTo(new EngineContext.IoSettings(64, 32, false));
  }

  @Test
  void thousandStandaloneCredentials_shareTheProcessWideDefaultThreads() {
    EngineContext.SharedThreads process = EngineContext.PROCESS_THREADS;
    int usersBefore = process.users();
    List<RotatingCredential> credentials = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        credentials.add(RotatingCredential.builder("c" + i,
            io.github.rotate4j.testing.InMemoryCredentialProvider.builder().initialValue("k").build()).build());
      }
      credentials.forEach(RotatingCredential::start);
      EngineContext.DefaultThreads threads = process.current();
      assertThat(threads).isNotNull();
      assertThat(process.users()).isEqualTo(usersBefore + 1000);
      assertThat(((ThreadPoolExecutor) threads.ioPool).getLargestPoolSize())
          .isLessThanOrEqualTo(EngineContext.IoSettings.DEFAULT_MAX_THREADS);
      assertThat(threads.schedulerPool.getLargestPoolSize()).isEqualTo(1);
      credentials.forEach(RotatingCredential::close);
      assertThat(process.users()).isEqualTo(usersBefore);
      if (usersBefore == 0) {
        assertThat(threads.isTerminated()).isTrue();
      }
    } finally {
      credentials.forEach(RotatingCredential::close);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits (without sleeping) until other threads make {@code condition} true, failing after a bound. */
  private static void awaitCondition(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
