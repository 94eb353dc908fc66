/**
 * Rotating credentials: {@link io.github.rotate4j.RotatingCredential} (built with
 * {@link io.github.rotate4j.RotatingCredential#builder}), its {@link io.github.rotate4j.KeyRing},
 * {@link io.github.rotate4j.RefreshPolicy}, {@link io.github.rotate4j.CredentialStatus} and the
 * exception hierarchy rooted at {@link io.github.rotate4j.CredentialException}.
 *
 * <p>Null policy: every package of Rotate4j is {@link org.jspecify.annotations.NullMarked}: parameters,
 * return values and record components are non-null unless annotated
 * {@link org.jspecify.annotations.Nullable}. Apart from the few record components so annotated
 * (such as {@link io.github.rotate4j.KeyRing.Entry#validUntil()}), public methods never return
 * {@code null}: absent values are {@link java.util.Optional} or empty collections.
 */
@NullMarked
package io.github.rotate4j;

import org.jspecify.annotations.NullMarked;
