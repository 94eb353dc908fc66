/**
 * Test support for applications that use Rotate4j, published as {@code rotate4j-test} for test
 * scope: {@link io.github.rotate4j.testing.ManualTime} (a clock and a scheduler that move only when
 * told) and {@link io.github.rotate4j.testing.InMemoryCredentialProvider} (a backend a test can
 * rotate, fail, hold and expire).
 */
@NullMarked
package io.github.rotate4j.testing;

import org.jspecify.annotations.NullMarked;
