/**
 * Typed credential events and {@link io.github.rotate4j.event.CredentialListener}. Events carry
 * versions, times and failure descriptions, never secret values.
 */
@NullMarked
package io.github.rotate4j.event;

import org.jspecify.annotations.NullMarked;
