package io.github.rotate4j.samples.boot;

import io.github.rotate4j.CredentialRejectedException;
import io.github.rotate4j.RotatingCredential;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Calls the partner API with the current API key. {@link RotatingCredential#call} retries a call the
 * partner refused (HTTP 401) once with a freshly read key, then with the previous key still in its
 * grace window: a rotation never fails a request.
 */
@Component
class PartnerClient {

  private final RotatingCredential apiKey;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Environment environment;

  PartnerClient(@Qualifier("partner-api-key") RotatingCredential apiKey, Environment environment) {
    this.apiKey = apiKey;
    this.environment = environment;
  }

  /** {@code partner.url}; by default the partner endpoint of this very app. */
  private URI quoteUri() {
    String base = environment.getProperty("partner.url",
        "http://127.0.0.1:" + environment.getRequiredProperty("local.server.port"));
    return URI.create(base + "/partner/quote");
  }

  String quote() throws Exception {
    URI quoteUri = quoteUri();
    return apiKey.call(key -> {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(quoteUri)
              .header("Authorization", "Bearer " + key.secretMap().get("key"))
              .timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 401) {
        throw new CredentialRejectedException("partner API refused API key version " + key.version());
      }
      if (r.statusCode() != 200) {
        throw new IllegalStateException("partner API answered HTTP " + r.statusCode());
      }
      return r.body();
    });
  }
}
