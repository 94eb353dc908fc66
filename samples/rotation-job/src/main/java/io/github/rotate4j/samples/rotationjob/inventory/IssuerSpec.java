package io.github.rotate4j.samples.rotationjob.inventory;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/** Who creates and revokes an inventory entry's keys. */
public sealed interface IssuerSpec {

  /** A short description for reports, never a credential. */
  String describe();

  /**
   * The demo key service of this sample.
   *
   * @param url the service's base URI
   * @param account the account whose keys are rotated
   * @param adminTokenEnv the environment variable holding the service's admin token, if it needs one
   */
  record Demo(URI url, String account, Optional<String> adminTokenEnv) implements IssuerSpec {
    public Demo {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(account, "account");
      Objects.requireNonNull(adminTokenEnv, "adminTokenEnv");
    }

    @Override
    public String describe() {
      return "demo " + url + " account " + account;
    }
  }
}
