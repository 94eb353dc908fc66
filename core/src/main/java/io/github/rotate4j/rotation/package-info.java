/**
 * The producer side of rotation: a durable, crash-resumable workflow that replaces a third-party API
 * key (GENERATE &rarr; STAGE &rarr; DISTRIBUTE &rarr; VERIFY &rarr; PROMOTE &rarr; GRACE &rarr; REVOKE
 * OLD, and ROLLBACK), driven by {@link io.github.rotate4j.rotation.Rotator}.
 *
 * <p>The workflow talks to the outside through small SPIs: a {@link
 * io.github.rotate4j.rotation.KeyIssuer} (the external service that creates and revokes keys), a
 * {@link io.github.rotate4j.rotation.SecretStore} (where consumers read the key, and where the
 * {@link io.github.rotate4j.rotation.RotationJournal} is kept), a {@link
 * io.github.rotate4j.rotation.KeyVerifier} and a {@link io.github.rotate4j.rotation.UsageProbe}.
 * {@link io.github.rotate4j.rotation.KeyGenerator} mints strong keys for services that accept a key
 * we choose.
 *
 * <p>Null policy: parameters are non-null unless documented otherwise; methods never return
 * {@code null} — absent values are {@link java.util.Optional} or empty collections.
 */
package io.github.rotate4j.rotation;
