/**
 * AWS Secrets Manager provider for Rotate4j: reads AWSCURRENT, AWSPREVIOUS and AWSPENDING by
 * explicit version, detects changes with one {@code DescribeSecret} call per poll, and decodes
 * text, JSON, binary and database (username/password) secrets. Start with
 * {@link io.github.rotate4j.aws.AwsSecretsManagerProvider#builder(String)}; let the providers of one
 * application share a {@link io.github.rotate4j.aws.SecretsManagerChangeWatch} to detect changes of
 * many secrets with one {@code BatchGetSecretValue} call.
 */
@NullMarked
package io.github.rotate4j.aws;

import org.jspecify.annotations.NullMarked;
