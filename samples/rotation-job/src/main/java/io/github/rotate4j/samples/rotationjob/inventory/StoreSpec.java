package io.github.rotate4j.samples.rotationjob.inventory;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Where an inventory entry's secret lives. */
public sealed interface StoreSpec {

  /** A short description for reports: type and path, never a credential. */
  String describe();

  /**
   * A Vault / OpenBao KV v2 secret.
   *
   * @param address the server address, or empty to take {@code VAULT_ADDR}
   * @param mount the KV v2 mount, default {@code secret}
   * @param path the secret's path under the mount
   * @param field the field a text key is stored under (default {@code api_key})
   * @param tokenEnv the environment variable holding the rotator's token (default {@code VAULT_TOKEN})
   */
  record VaultKv(Optional<URI> address, String mount, String path, String field, String tokenEnv) implements StoreSpec {
    public VaultKv {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(mount, "mount");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(tokenEnv, "tokenEnv");
    }

    @Override
    public String describe() {
      return "vault-kv " + mount + "/" + path;
    }
  }

  /**
   * An AWS Secrets Manager secret; credentials come from the SDK's default chain.
   *
   * @param secretId the secret's name or ARN
   * @param region the region, or empty for the SDK's default
   * @param endpoint an endpoint override (a local test server), or empty
   */
  record Aws(String secretId, Optional<String> region, Optional<URI> endpoint) implements StoreSpec {
    public Aws {
      Objects.requireNonNull(secretId, "secretId");
      Objects.requireNonNull(region, "region");
      Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public String describe() {
      return "aws " + secretId;
    }
  }

  /**
   * An in-memory secret: lives as long as the job's process (demos and tests).
   *
   * @param path a name for the secret
   */
  record InMemory(String path) implements StoreSpec {
    public InMemory {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String describe() {
      return "in-memory " + path;
    }
  }

  /**
   * A secret kept in a local JSON file, so that a demo survives from one run of the job to the next.
   * Not for production: the file holds the secret in clear text.
   *
   * @param file the file, resolved against the inventory's directory
   */
  record File(Path file) implements StoreSpec {
    public File {
      Objects.requireNonNull(file, "file");
    }

    @Override
    public String describe() {
      return "file " + file;
    }
  }
}
