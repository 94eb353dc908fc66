package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A task that throws is logged and never reaches the scheduler's thread; the engine's timers guard themselves. */
class GuardedSchedulerTest {

  private final List<Runnable> handedOver = new ArrayList<>();
  private final GuardedScheduler scheduler = new GuardedScheduler((task, delay) -> {
    handedOver.add(task);
    return () -> {};
  }, "credential 'x' [test path]");

  @Test
  void aThrowingTask_isCaught_andTheNextOneRuns() {
    List<String> ran = new ArrayList<>();
    scheduler.schedule(() -> {
      throw new IllegalStateException("boom");
    }, Duration.ofSeconds(1));
    scheduler.schedule(() -> ran.add("second"), Duration.ofSeconds(2));
    assertThatCode(() -> handedOver.get(0).run()).doesNotThrowAnyException();
    handedOver.get(1).run();
    assertThat(ran).containsExactly("second");
  }

  @Test
  void aSelfGuardedTask_isHandedOverAsItIs_andStillGuarded() {
    List<String> ran = new ArrayList<>();
    GuardedScheduler.SelfGuarded task = new GuardedScheduler.SelfGuarded() {
      @Override
      GuardedScheduler scheduler() {
        return scheduler;
      }

      @Override
      void runGuarded() {
        ran.add("ran");
        throw new IllegalStateException("boom");
      }
    };
    scheduler.schedule(task, Duration.ofSeconds(1));
    assertThat(handedOver).as("no wrapper object around it").containsExactly(task);
    assertThatCode(() -> handedOver.get(0).run()).doesNotThrowAnyException();
    assertThat(ran).containsExactly("ran");
  }
}
