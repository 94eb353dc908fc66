/**
 * Implementation parts shared by Rotate4j's own modules (core and the providers). Not an API: these
 * types may change in any release.
 */
package io.github.rotate4j.internal;
