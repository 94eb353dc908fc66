package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.KeyRing;
import io.github.rotate4j.aws.FleetSecretsClient.Operation;
import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchReason;
import io.github.rotate4j.spi.FetchResult;
import io.github.rotate4j.testing.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A change watch steps aside for a secret's rotation window. The credential's next rotation is the
 * window's end (plus 5 minutes), so a watch that looked only at it served the checks across a 3-hour
 * window from its batch and dropped their announcement: with a monthly schedule a rotation was
 * noticed after 22.9 min on average instead of 1.0 min ({@link FleetCostSimulationTest}).
 */
class ChangeWatchRotationWindowTest {

  private static final Instant WINDOW_OPENS = Instant.parse("2031-02-01T00:00:00Z");
  private static final String SECRET = "app/db";

  private final ManualTime time = ManualTime.startingAt(WINDOW_OPENS.minus(Duration.ofHours(4)));
  private final FleetSecretsClient aws = new FleetSecretsClient(time.clock(), 1, List.of(SECRET), null, true);
  private final SecretsManagerChangeWatch watch =
      SecretsManagerChangeWatch.builder(aws).maxAge(Duration.ofMinutes(5)).clock(time.clock()).build();
  private final AwsSecretsManagerProvider provider =
      AwsSecretsManagerProvider.builder(SECRET).client(aws).changeWatch(watch).clock(time.clock()).build();

  @Test
  void farFromTheWindow_theWatchServesThePoll_andAnnouncesTheWindowsFirstCheck() {
    KeyRing ring = KeyRing.of(provider.fetch(FetchContext.startup(SECRET)).current());
    time.advance(Duration.ofHours(1));

    FetchResult polled = provider.fetch(scheduled(ring));

    assertThat(polled.current().version()).isEqualTo(ring.current().version());
    assertThat(aws.calls(Operation.BATCH_GET_SECRET_VALUE)).isEqualTo(1);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).as("only the start-up read").isEqualTo(1);
    // 3 h before the window on the 2-minute grid of its checks: the first one is its opening
    assertThat(polled.nextChange()).contains(WINDOW_OPENS);
  }

  @Test
  void pollsFromTwoIntervalsBeforeTheWindowOpens_readDirectly_thoughTheNextRotationIsHoursAway() {
    KeyRing ring = KeyRing.of(provider.fetch(FetchContext.startup(SECRET)).current());
    assertThat(ring.current().nextRotation()).contains(WINDOW_OPENS.plus(Duration.ofHours(3)).plus(RotationWindow.OVERDUE_TOLERANCE));

    time.advanceTo(WINDOW_OPENS.minus(Duration.ofMinutes(9)));
    FetchResult beforeOpening = provider.fetch(scheduled(ring));
    time.advanceTo(WINDOW_OPENS.plus(Duration.ofMinutes(1)));
    FetchResult inside = provider.fetch(scheduled(ring));

    assertThat(aws.calls(Operation.BATCH_GET_SECRET_VALUE)).isZero();
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(3);
    assertThat(beforeOpening.nextChange()).contains(WINDOW_OPENS.plus(Duration.ofMinutes(1)));
    assertThat(inside.nextChange()).isPresent();
  }

  private static FetchContext scheduled(KeyRing ring) {
    return new FetchContext(SECRET, FetchReason.SCHEDULED, Optional.of(ring));
  }
}
