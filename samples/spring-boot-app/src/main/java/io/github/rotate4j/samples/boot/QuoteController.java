package io.github.rotate4j.samples.boot;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The app's own endpoint that needs the partner API. */
@RestController
class QuoteController {

  private final PartnerClient partner;

  QuoteController(PartnerClient partner) {
    this.partner = partner;
  }

  @GetMapping("/quote")
  String quote() throws Exception {
    return partner.quote();
  }
}
