/**
 * The provider SPI: implement {@link io.github.rotate4j.spi.CredentialProvider} to read secrets from
 * a new backend. Parameters and results are non-null unless documented otherwise.
 */
@NullMarked
package io.github.rotate4j.spi;

import org.jspecify.annotations.NullMarked;
