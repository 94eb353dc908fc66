/** Actuator health and Micrometer metrics of Rotate4j's credentials. */
package io.github.rotate4j.spring.boot.actuate;
