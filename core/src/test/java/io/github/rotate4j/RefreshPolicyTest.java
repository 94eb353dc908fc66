package io.github.rotate4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.rotate4j.testing.InMemoryCredentialProvider;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RefreshPolicyTest {

  @Test
  void defaults_matchTheDocumentedValues() {
    RefreshPolicy p = RefreshPolicy.ofDefaults();
    assertThat(p.refreshRatio()).isEqualTo(2.0 / 3.0);
    assertThat(p.jitter()).isEqualTo(0.10);
    assertThat(p.refreshInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.gracePeriod()).isEqualTo(Duration.ofHours(1));
    assertThat(p.rejectionRateLimit()).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.minOverlap()).isEmpty();
    assertThat(RotatingCredentialBuilder.DEFAULT_RETRY_CONFIG.getMaxAttempts()).isEqualTo(4);
  }

  @Test
  void setters_rejectBadValuesNamingThem() {
    assertThatThrownBy(() -> RefreshPolicy.custom().refreshRatio(1.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("refreshRatio must be between 0 and 1 (exclusive), but was 1.5");
    assertThatThrownBy(() -> RefreshPolicy.custom().jitter(-0.1)).hasMessageContaining("but was -0.1");
    assertThatThrownBy(() -> RefreshPolicy.custom().refreshInterval(Duration.ofSeconds(-3)))
        .hasMessage("refreshInterval must be greater than 0, but was PT-3S");
    assertThatThrownBy(() -> RefreshPolicy.custom().gracePeriod(Duration.ofSeconds(-1)))
        .hasMessageContaining("gracePeriod must not be negative");
    RefreshPolicy custom = RefreshPolicy.custom().minOverlap(Duration.ofSeconds(7)).build();
    assertThat(RefreshPolicy.from(custom).build().minOverlapFor(Duration.ofMinutes(10))).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void builder_refusesASettingMadeTwice() {
    RotatingCredentialBuilder b = RotatingCredential.builder("x", InMemoryCredentialProvider.builder().initialValue("v").build())
        .refreshPolicy(RefreshPolicy.ofDefaults());
    assertThatThrownBy(() -> b.refreshPolicy(RefreshPolicy.ofDefaults())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refreshPolicy was already set");
    assertThatThrownBy(() -> RotatingCredential.builder(" ", InMemoryCredentialProvider.builder().build()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
