package io.github.rotate4j.spring.boot;

import io.github.rotate4j.file.FileCredentialProvider;
import io.github.rotate4j.spi.CredentialProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Source {@code file}: a file, or a directory of files (Kubernetes Secret volume, CSI driver). */
final class FileProviderFactory implements CredentialProviderFactory {

  static final List<String> FORMATS = List.of("text", "binary", "properties", "username-password");

  @Override
  public Set<String> sources() {
    return Set.of("file");
  }

  @Override
  public CredentialProvider create(String name, String source, Rotate4jProperties.Credential c) {
    Path path = Path.of(CredentialSettings.required(name, "path", c.getPath(), source));
    String format = CredentialSettings.oneOf(name, "format", c.getFormat(), FORMATS, "text");
    String user = c.getUsernameKey() != null ? c.getUsernameKey() : "username";
    String password = c.getPasswordKey() != null ? c.getPasswordKey() : "password";
    if (Files.isDirectory(path)) {
      FileCredentialProvider.DirectoryBuilder b = FileCredentialProvider.ofDirectory(path);
      switch (format) {
        case "text" -> { }
        case "username-password" -> b.usernamePassword(user, password);
        default -> throw new SettingException(CredentialSettings.property(name, "format"),
            "'" + format + "' does not apply to the directory " + path + "; allowed values for a directory: text, username-password");
      }
      return b.build();
    }
    FileCredentialProvider.FileBuilder b = FileCredentialProvider.ofFile(path);
    switch (format) {
      case "binary" -> b.binary();
      case "properties" -> b.properties();
      case "username-password" -> b.usernamePassword(user, password);
      default -> { }
    }
    return b.build();
  }
}
