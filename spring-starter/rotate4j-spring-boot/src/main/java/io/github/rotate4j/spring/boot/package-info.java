/**
 * Spring Boot auto-configuration of Rotate4j: named credentials from {@code rotate4j.*} properties
 * ({@link io.github.rotate4j.spring.boot.Rotate4jProperties}), customizers, and the source SPI
 * ({@link io.github.rotate4j.spring.boot.CredentialProviderFactory}).
 */
package io.github.rotate4j.spring.boot;
