/**
 * Reads secrets from files: a single file, or a directory of files as written by Vault Agent, the
 * Secrets Store CSI driver or a Kubernetes Secret volume. Start at
 * {@link io.github.rotate4j.file.FileCredentialProvider}.
 */
@NullMarked
package io.github.rotate4j.file;

import org.jspecify.annotations.NullMarked;
