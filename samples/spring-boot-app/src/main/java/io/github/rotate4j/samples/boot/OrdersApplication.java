package io.github.rotate4j.samples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small web app on rotating secrets: its {@code DataSource} logs in to PostgreSQL with dynamic
 * credentials from OpenBao ({@code orders-db}), and it calls a partner API with an API key kept in
 * KV v2 ({@code partner-api-key}). Start it with {@code samples/spring-boot-app/run.sh}.
 */
@SpringBootApplication
public class OrdersApplication {

  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }
}
