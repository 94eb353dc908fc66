package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.spi.FetchContext;
import io.github.rotate4j.spi.FetchResult;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;

/**
 * What a real moto server (5.x) returns for a secret's rotation schedule, and what the provider
 * reports from it. moto keeps only {@code AutomaticallyAfterDays} of the rotation rules (it drops
 * {@code Duration} and {@code ScheduleExpression}), sets {@code NextRotationDate} to the time of the
 * {@code RotateSecret} call plus that many days, and leaves rotation disabled, without a date, for a
 * schedule given only as an expression. Without a rotation Lambda it also makes a new version
 * current at once, without a value, so each test writes one.
 */
@ExtendWith(MotoServerExtension.class)
class AwsRotationWindowIT {

  private static final String SECRET = "orders/db";

  @Test
  void automaticallyAfterDays_windowUntilTheEndOfTheUtcDay_checksFromItsStart(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));
      admin.rotateSecret(r -> r.secretId(SECRET).rotationRules(rr -> rr.automaticallyAfterDays(30L).duration("3h")));
      // moto, with no Lambda, makes a version current at once that it cannot read back: write one
      admin.putSecretValue(r -> r.secretId(SECRET).secretString("key-v2"));
      DescribeSecretResponse described = admin.describeSecret(r -> r.secretId(SECRET));

      Instant before = Instant.now();
      FetchResult r = provider.fetch(FetchContext.startup("orders-db"));
      Instant after = Instant.now();

      // what moto says
      assertThat(described.rotationEnabled()).isTrue();
      assertThat(described.rotationRules().automaticallyAfterDays()).isEqualTo(30L);
      assertThat(described.rotationRules().duration()).as("moto drops Duration").isNull();
      Instant next = described.nextRotationDate();
      assertThat(next).isBetween(before.plus(Duration.ofDays(30)).minusSeconds(60), after.plus(Duration.ofDays(30)).plusSeconds(1));
      // what the provider reports: a schedule in days without Duration rotates until the end of that UTC day
      Instant endOfDay = next.truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
      Instant expectedEnd = Duration.between(next, endOfDay).compareTo(Duration.ofHours(1)) < 0 ? next.plus(Duration.ofHours(1)) : endOfDay;
      assertThat(r.current().nextRotation()).contains(expectedEnd.plus(RotationWindow.OVERDUE_TOLERANCE));
      RotationWindow window = new RotationWindow(next, expectedEnd, null, false);
      assertThat(r.nextChange()).hasValueSatisfying(check ->
          assertThat(check).isBetween(next, next.plus(window.step())));
    }
  }

  @Test
  void scheduleExpressionOnly_motoLeavesRotationOff_nothingReported(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));
      admin.rotateSecret(r -> r.secretId(SECRET).rotationRules(rr -> rr.scheduleExpression("cron(0 0 1 * ? *)").duration("3h")));
      admin.putSecretValue(r -> r.secretId(SECRET).secretString("key-v2"));
      DescribeSecretResponse described = admin.describeSecret(r -> r.secretId(SECRET));

      FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

      assertThat(described.rotationEnabled()).isFalse();
      assertThat(described.nextRotationDate()).isNull();
      assertThat(r.current().nextRotation()).isEmpty();
      assertThat(r.nextChange()).isEmpty();
    }
  }

  @Test
  void secretWithoutRotation_nothingReported(MotoServer moto) {
    try (SecretsManagerClient admin = moto.newClient();
        AwsSecretsManagerProvider provider = moto.provider(SECRET).build()) {
      admin.createSecret(r -> r.name(SECRET).secretString("key-v1"));

      FetchResult r = provider.fetch(FetchContext.startup("orders-db"));

      assertThat(r.current().nextRotation()).isEmpty();
      assertThat(r.nextChange()).isEmpty();
    }
  }
}
