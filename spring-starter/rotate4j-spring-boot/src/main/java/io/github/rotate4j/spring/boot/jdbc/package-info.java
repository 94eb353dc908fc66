/**
 * HikariCP integration: a pool that logs in with a rotating credential and soft-evicts its
 * connections after every rotation ({@link io.github.rotate4j.spring.boot.jdbc.RotatingHikariCredentials}).
 */
package io.github.rotate4j.spring.boot.jdbc;
