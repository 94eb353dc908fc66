package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.event.CredentialCreated;
import io.github.rotate4j.event.CredentialListener;
import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Real threads: the default scheduler, I/O and event threads. */
class CloseTest {

  private static Set<Thread> rotate4jThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("rotate4j-"))
        .collect(Collectors.toSet());
  }

  @Test
  void close_leavesNoThreadAlive_andThreadsAreNamedDaemons() throws Exception {
    Set<Thread> before = rotate4jThreads();
    AtomicReference<Thread> listenerThread = new AtomicReference<>();
    CountDownLatch created = new CountDownLatch(1);
    InMemoryCredentialProvider backend = InMemoryCredentialProvider.builder().initialValue("key-1").build();
    RotatingCredential c = RotatingCredential.builder("api", backend)
        .listener(new CredentialListener() {
          @Override
          public void onCreated(CredentialCreated event) {
            listenerThread.set(Thread.currentThread());
            created.countDown();
          }
        })
        .build();
    c.start();
    assertThat(created.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(listenerThread.get().getName()).startsWith("rotate4j-events-");
    assertThat(listenerThread.get()).isNotEqualTo(Thread.currentThread());
    Set<Thread> mine = rotate4jThreads();
    mine.removeAll(before);
    assertThat(mine).isNotEmpty().allSatisfy(t -> assertThat(t.isDaemon()).isTrue());
    assertThat(mine).extracting(Thread::getName).anySatisfy(n -> assertThat(n).startsWith("rotate4j-scheduler-"));
    assertThat(mine).extracting(Thread::getName).anySatisfy(n -> assertThat(n).startsWith("rotate4j-io-"));

    c.close();
    for (Thread t : mine) {
      t.join(5_000);
      assertThat(t.isAlive()).as("thread %s after close", t.getName()).isFalse();
    }
    assertThatThrownBy(c::get).isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("closed");
    assertThat(c.refreshNow()).isCompletedExceptionally();
    assertThat(c.status().state()).isEqualTo(CredentialState.DOWN);
    c.close(); // idempotent
  }
}
