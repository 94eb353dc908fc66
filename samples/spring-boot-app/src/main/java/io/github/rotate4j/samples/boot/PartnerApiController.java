package io.github.rotate4j.samples.boot;

import io.github.rotate4j.KeyMatch;
import io.github.rotate4j.RotatingCredential;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Stands in for the partner: it accepts the current key and the previous one during its grace
 * window, by checking the presented key against its own view of the same KV secret. The matches by
 * slot are the {@code rotate4j_keyring_match_total} metric: when "previous" stops growing, the old
 * key can be revoked.
 */
@RestController
class PartnerApiController {

  private final RotatingCredential keys;

  PartnerApiController(@Qualifier("partner-keys") RotatingCredential keys) {
    this.keys = keys;
  }

  @GetMapping("/partner/quote")
  ResponseEntity<String> quote(@RequestHeader(name = "Authorization", required = false) String authorization) {
    String presented = authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
    Optional<KeyMatch> match = keys.verify(presented);
    return match
        .map(m -> ResponseEntity.ok("{\"quote\":42.0,\"keyVersion\":\"" + m.version() + "\",\"slot\":\"" + m.slot() + "\"}"))
        .orElseGet(() -> ResponseEntity.status(HttpStatus.UNAUTHORIZED).body("{\"error\":\"unknown API key\"}"));
  }
}
