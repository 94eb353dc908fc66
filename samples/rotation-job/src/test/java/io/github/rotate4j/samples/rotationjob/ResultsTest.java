package io.github.rotate4j.samples.rotationjob;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.rotate4j.rotation.RotationResult;
import io.github.rotate4j.rotation.RotationResult.Outcome;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The exit codes the README documents, per workflow outcome. */
class ResultsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "NOT_DUE, 0", "NOTHING_TO_DO, 0", "DISTRIBUTING, 0", "IN_GRACE, 0", "COMPLETED, 0", "ROLLED_BACK, 0",
      "OLD_KEY_IN_USE, 5", "REVOKE_FAILED, 5", "NEEDS_ATTENTION, 5",
      "VERIFY_FAILED, 4", "CONFLICT, 4", "FAILED, 4"})
  void exitCodeOfEachOutcome(Outcome outcome, int code) {
    assertThat(Results.exitCode(result(outcome, List.of()))).isEqualTo(code);
  }

  @ParameterizedTest
  @CsvSource({"COMPLETED", "IN_GRACE", "ROLLED_BACK"})
  void warningsTurnASuccessIntoARequestForAttention(Outcome outcome) {
    assertThat(Results.exitCode(result(outcome, List.of("a key may be left at the issuer")))).isEqualTo(RotationJob.EXIT_ATTENTION);
  }

  @ParameterizedTest(name = "worst({0}, {1}) = {2}")
  @CsvSource({"0, 0, 0", "0, 5, 5", "5, 0, 5", "5, 4, 4", "4, 5, 4", "4, 0, 4", "1, 5, 1", "4, 1, 4"})
  void theMostSeriousCodeWins(int a, int b, int worst) {
    assertThat(Results.worst(a, b)).isEqualTo(worst);
  }

  private static RotationResult result(Outcome outcome, List<String> warnings) {
    return new RotationResult("memory x", outcome, Optional.empty(), Optional.empty(), "message", warnings);
  }
}
