package io.github.rotate4j.samples.boot;

import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Reads PostgreSQL through Spring Boot's pool, which logs in with the rotating {@code orders-db} credential. */
@RestController
class OrdersController {

  private final JdbcTemplate jdbc;

  OrdersController(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** The database user of this request's connection: it changes with every credential replacement. */
  @GetMapping("/orders/whoami")
  Map<String, Object> whoami() {
    return jdbc.queryForMap("select current_user as db_user, now() as at");
  }
}
