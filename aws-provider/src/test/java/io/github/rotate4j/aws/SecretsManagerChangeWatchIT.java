package io.github.rotate4j.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.CredentialRegistry;
import io.github.rotate4j.RefreshPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Ten credentials of one registry sharing a change watch against a real moto server: one batch
 * call per max age while nothing changes, a rotation picked up through the direct path, a secret
 * gone from the batch read directly while the others are not.
 */
@ExtendWith(MotoServerExtension.class)
class SecretsManagerChangeWatchIT {

  private static final int SECRETS = 10;
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration MAX_AGE = Duration.ofSeconds(1);

  @Test
  void registryOfTenSecrets_sharesOneBatchPerMaxAge_andNoticesChangesThroughTheDirectPath(MotoServer moto)
      throws Exception {
    CountingInterceptor calls = new CountingInterceptor();
    RefreshPolicy policy = RefreshPolicy.custom().refreshInterval(POLL).build();
    try (SecretsManagerClient admin = moto.newClient();
        SecretsManagerClient counted = AwsSecretsManagerProviderIT.countingClient(moto, calls)) {
      List<String> names = IntStream.range(0, SECRETS).mapToObj(i -> "app/secret-" + i).toList();
      List<String> firstVersions = new ArrayList<>();
      for (String name : names) {
        firstVersions.add(admin.createSecret(r -> r.name(name).secretString("value-" + name)).versionId());
      }
      SecretsManagerChangeWatch watch = SecretsManagerChangeWatch.builder(counted).maxAge(MAX_AGE).build();
      CredentialRegistry.Builder builder = CredentialRegistry.builder();
      for (String name : names) {
        builder.register(name, AwsSecretsManagerProvider.builder(name).client(counted).changeWatch(watch).build(),
            b -> b.refreshPolicy(policy));
      }
      try (CredentialRegistry registry = builder.build().start()) {
        assertThat(calls.count("DescribeSecret")).as("start-up reads each secret directly").isEqualTo(SECRETS);
        assertThat(watch.secretIds()).containsExactlyInAnyOrderElementsOf(names);

        // nothing changes: about one batch per max age, no per-secret call
        calls.clear();
        long started = System.nanoTime();
        Thread.sleep(5_000);
        double elapsedMaxAges = (System.nanoTime() - started) / (double) MAX_AGE.toNanos();
        long batches = calls.count("BatchGetSecretValue");
        double pollsPerCredential = elapsedMaxAges * MAX_AGE.toMillis() / POLL.toMillis();
        System.out.printf("change watch, %d secrets, poll %s, max age %s: %d BatchGetSecretValue in %.2f max ages "
            + "(%.2f per max age), %d DescribeSecret, %d GetSecretValue; about %.0f polls per credential; "
            + "calls per credential-poll %.3f (1.0 without the watch)%n",
            SECRETS, POLL, MAX_AGE, batches, elapsedMaxAges, batches / elapsedMaxAges, calls.count("DescribeSecret"),
            calls.count("GetSecretValue"), pollsPerCredential, batches / (SECRETS * pollsPerCredential));
        assertThat(calls.count("DescribeSecret")).isZero();
        assertThat(calls.count("GetSecretValue")).isZero();
        // a batch comes at the first poll after the max age: between one per (max age + poll) and one per max age
        assertThat(batches).isBetween((long) Math.floor(elapsedMaxAges / 1.2) - 1, (long) Math.ceil(elapsedMaxAges) + 1);

        // one secret rotates: its credential reads it directly once a batch shows the new AWSCURRENT
        calls.clear();
        String rotated = names.get(3);
        String v2 = admin.putSecretValue(r -> r.secretId(rotated).secretString("value-2")).versionId();
        long rotatedAt = System.nanoTime();
        awaitTrue(() -> registry.get(rotated).get().version().equals(v2), MAX_AGE.plus(POLL).multipliedBy(3));
        Duration noticedAfter = Duration.ofNanos(System.nanoTime() - rotatedAt);
        System.out.printf("rotation noticed after %d ms (max age %s + poll %s)%n", noticedAfter.toMillis(), MAX_AGE, POLL);
        assertThat(registry.get(rotated).get().secretString()).isEqualTo("value-2");
        assertThat(registry.get(rotated).keyRing().previous()).extracting(c -> c.version())
            .containsExactly(firstVersions.get(3));
        assertThat(calls.count("DescribeSecret", rotated)).as("the rotated secret is read directly").isPositive();
        // polls go on while this runs: "only it" is checked as "none of the others", not by comparing two counts
        names.stream().filter(n -> !n.equals(rotated)).forEach(n ->
            assertThat(calls.count("DescribeSecret", n)).as("and only it: not %s", n).isZero());
        assertThat(calls.count("GetSecretValue")).as("only its new version is read").isEqualTo(1);
        for (int i = 0; i < SECRETS; i++) {
          if (i != 3) {
            assertThat(registry.get(names.get(i)).get().version()).isEqualTo(firstVersions.get(i));
          }
        }
        // once seen, the rotated secret is back on the batch
        Thread.sleep(MAX_AGE.plus(POLL).toMillis());
        calls.clear();
        Thread.sleep(MAX_AGE.multipliedBy(2).toMillis());
        assertThat(calls.count("DescribeSecret")).isZero();
        assertThat(calls.count("BatchGetSecretValue")).isPositive();

        // one secret disappears: the batch reports it as an error; its polls go direct, the others stay on the batch
        String gone = names.get(7);
        admin.deleteSecret(r -> r.secretId(gone).forceDeleteWithoutRecovery(true));
        Thread.sleep(MAX_AGE.plus(POLL).toMillis());
        calls.clear();
        Thread.sleep(MAX_AGE.multipliedBy(2).toMillis());
        long describes = calls.count("DescribeSecret");
        assertThat(describes).as("the missing secret is read directly at its polls").isPositive();
        assertThat(calls.count("BatchGetSecretValue")).isPositive();
        // only the missing secret's polls: at most one per poll interval (plus jitter and retries of its failures)
        assertThat(describes).isLessThanOrEqualTo(2 * MAX_AGE.multipliedBy(2).toMillis() / POLL.toMillis() + 2);
        names.stream().filter(n -> !n.equals(gone)).forEach(n ->
            assertThat(calls.count("DescribeSecret", n)).as("and only the missing secret: not %s", n).isZero());
        assertThat(registry.get(gone).get().version()).as("the last good version is still served")
            .isEqualTo(firstVersions.get(7));
        assertThat(registry.get(names.get(0)).get().version()).isEqualTo(firstVersions.get(0));
      }
    }
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(20);
    }
  }
}
