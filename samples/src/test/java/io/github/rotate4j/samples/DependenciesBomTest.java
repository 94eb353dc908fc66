package io.github.rotate4j.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;

/**
 * The opt-in BOM {@code rotate4j-dependencies} states the third-party versions the modules were
 * tested with: its version properties must name the jars the build actually put on this class path
 * (which the parent POM's properties chose).
 */
class DependenciesBomTest {

  private static final Path BOM = Path.of("..", "dependencies", "pom.xml");

  @ParameterizedTest
  @CsvSource({
      "slf4j.version, slf4j-api",
      "resilience4j.version, resilience4j-core",
      "resilience4j.version, resilience4j-retry",
      "resilience4j.version, resilience4j-circuitbreaker",
      "jspecify.version, jspecify",
      "vault-java-driver.version, vault-java-driver",
      "aws-sdk.version, secretsmanager",
  })
  void bomVersion_isTheVersionOnTheTestedClassPath(String property, String artifactId) throws Exception {
    String version = bomProperty(property);
    List<String> jars = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(entry -> Path.of(entry).getFileName().toString())
        .filter(name -> name.matches("\\Q" + artifactId + "\\E-\\d.*\\.jar"))
        .toList();

    assertThat(jars).as("%s on the class path", artifactId).containsExactly(artifactId + "-" + version + ".jar");
  }

  private static String bomProperty(String name) throws Exception {
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(BOM.toFile());
    var properties = pom.getElementsByTagName(name);
    assertThat(properties.getLength()).as("<%s> in %s", name, BOM).isEqualTo(1);
    return properties.item(0).getTextContent().trim();
  }
}
