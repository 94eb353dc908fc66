package io.github.rotate4j.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code ```java} block of README.md compiles as written, against this module's test class path
 * (core, rotate4j-test, rotate4j-vault, rotate4j-aws and their dependencies).
 *
 * <p>The convention for README snippets (repeated in an HTML comment at the top of README.md):
 * <ul>
 *   <li>A block that declares a top-level {@code class}, {@code record}, {@code interface} or
 *       {@code enum} is compiled as it is, as one source file.</li>
 *   <li>Any other block is a method body: its leading {@code import} lines stay on top, and the rest
 *       goes into {@code void snippet() throws Exception { ... }} of a generated class.</li>
 *   <li>So a block shows the imports of every type it names (except {@code java.lang}), and declares
 *       every variable it uses; a value the reader supplies is declared with an example value
 *       ({@code String roleId = "...";}). A block of code that is not meant to compile uses another
 *       language tag ({@code ```text}).</li>
 *   <li>Each block compiles alone, in a package of its own: blocks do not see each other.</li>
 * </ul>
 * Compiler warnings ({@code -Xlint:all}) fail the block like errors, as in the build.
 */
class ReadmeSnippetsTest {

  private static final Path README = Path.of("..", "README.md");
  private static final Pattern FENCE = Pattern.compile("^\\s*```\\s*(\\S*)\\s*$");
  private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
      "(?m)^(?:(?:public|final|abstract|sealed|non-sealed)\\s+)*(?:class|record|interface|enum)\\s+\\w+");
  private static final Pattern PUBLIC_TYPE = Pattern.compile(
      "(?m)^public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*(?:class|record|interface|enum)\\s+(\\w+)");

  /** One ```java block: the README line of its first code line, and its code. */
  record Snippet(int line, String code) {
    @Override
    public String toString() {
      return "README.md line " + line;
    }
  }

  /** A snippet turned into a compilation unit: its package, file name and the README line of source line 1. */
  record Unit(Snippet snippet, String packageName, String fileName, String source, int firstReadmeLine) {}

  private static final Map<Integer, List<String>> problemsByLine = new LinkedHashMap<>();

  static List<Snippet> snippets() {
    List<String> lines;
    try {
      lines = Files.readAllLines(README);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Snippet> snippets = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      var open = FENCE.matcher(lines.get(i));
      if (!open.matches() || open.group(1).isEmpty()) {
        continue;
      }
      int start = i + 1;
      int end = start;
      while (end < lines.size() && !lines.get(end).strip().equals("```")) {
        end++;
      }
      if (open.group(1).equals("java")) {
        snippets.add(new Snippet(start + 1, String.join("\n", lines.subList(start, end)) + "\n"));
      }
      i = end;
    }
    return snippets;
  }

  static Unit unitOf(Snippet snippet) {
    String pkg = "readme.line" + snippet.line();
    String code = snippet.code();
    if (TOP_LEVEL_TYPE.matcher(code).find()) {
      var publicType = PUBLIC_TYPE.matcher(code);
      String file = publicType.find() ? publicType.group(1) : "Snippet";
      // the package line goes on line 1 of the block's own first line, so line numbers stay aligned
      return new Unit(snippet, pkg, file, "package " + pkg + "; " + code, snippet.line());
    }
    List<String> lines = List.of(code.split("\n", -1));
    int body = 0;
    while (body < lines.size() && (lines.get(body).startsWith("import ") || lines.get(body).isBlank())) {
      body++;
    }
    // the class header goes at the end of the last import line, so that every line of the block keeps
    // its number (a block without imports starts on line 2, after the header)
    String header = "class Snippet { void snippet() throws Exception {";
    String source = body == 0
        ? "package " + pkg + "; " + header + "\n" + code + "\n} }\n"
        : "package " + pkg + "; " + String.join("\n", lines.subList(0, body)) + " " + header + "\n"
            + String.join("\n", lines.subList(body, lines.size())) + "\n} }\n";
    int firstReadmeLine = body == 0 ? snippet.line() - 1 : snippet.line();
    return new Unit(snippet, pkg, "Snippet", source, firstReadmeLine);
  }

  @BeforeAll
  static void compileAll(@TempDir Path out) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    assertThat(compiler).as("a JDK (javax.tools.JavaCompiler), not a JRE").isNotNull();
    List<Unit> units = snippets().stream().map(ReadmeSnippetsTest::unitOf).toList();
    Map<URI, Unit> byUri = new LinkedHashMap<>();
    List<JavaFileObject> sources = new ArrayList<>();
    for (Unit unit : units) {
      URI uri = URI.create("string:///" + unit.packageName().replace('.', '/') + "/" + unit.fileName() + ".java");
      byUri.put(uri, unit);
      sources.add(new SimpleJavaFileObject(uri, JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return unit.source();
        }
      });
    }
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      List<String> options = List.of(
          "--release", "17", "-proc:none", "-Xlint:all,-processing,-serial", "-Werror",
          "-classpath", System.getProperty("java.class.path"), "-d", out.toString());
      compiler.getTask(null, files, diagnostics, options, null, sources).call();
    }
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.NOTE) {
        continue;
      }
      Unit unit = d.getSource() == null ? null : byUri.get(d.getSource().toUri());
      int key = unit == null ? 0 : unit.snippet().line();
      String where = unit == null || d.getLineNumber() < 0
          ? "" : "README.md:" + (unit.firstReadmeLine() + d.getLineNumber() - 1) + ": ";
      problemsByLine.computeIfAbsent(key, k -> new ArrayList<>())
          .add(where + d.getKind().toString().toLowerCase(Locale.ROOT) + ": " + d.getMessage(Locale.ROOT));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("snippets")
  void readmeSnippet_compilesAsWritten(Snippet snippet) {
    assertThat(problemsByLine.getOrDefault(snippet.line(), List.of()))
        .as("compiler messages for the ```java block at README.md line %d%n%s", snippet.line(),
            unitOf(snippet).source())
        .isEmpty();
  }

  @Test
  void everyCompilerMessage_belongsToASnippet() {
    assertThat(problemsByLine.getOrDefault(0, List.of())).isEmpty();
  }

  @Test
  void readme_hasJavaSnippetsAndTheConvention() throws IOException {
    assertThat(snippets()).hasSizeGreaterThan(10);
    assertThat(Files.readString(README)).contains("ReadmeSnippetsTest");
  }

  @ParameterizedTest
  @MethodSource("brokenSnippets")
  void aSnippetThatDoesNotCompile_isReported(String code, String expectedMessage, @TempDir Path out) throws IOException {
    Unit unit = unitOf(new Snippet(100, code));
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    JavaFileObject source = new SimpleJavaFileObject(
        URI.create("string:///" + unit.packageName().replace('.', '/') + "/" + unit.fileName() + ".java"),
        JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return unit.source();
      }
    };
    boolean ok = compiler.getTask(null, null, diagnostics,
        List.of("--release", "17", "-proc:none", "-classpath", System.getProperty("java.class.path"), "-d", out.toString()),
        null, List.of(source)).call();

    assertThat(ok).isFalse();
    assertThat(diagnostics.getDiagnostics().stream().map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("\n")))
        .contains(expectedMessage);
    // the message points at the README line of the offending code
    assertThat(diagnostics.getDiagnostics().get(0).getLineNumber() + unit.firstReadmeLine() - 1).isEqualTo(101);
  }

  static List<Arguments> brokenSnippets() {
    return List.of(
        // a body with an undefined variable
        Arguments.of("String a = \"x\";\nString key = apiKey.get();\n", "cannot find symbol"),
        // a body that names a type without its import
        Arguments.of("import java.util.List;\nDuration d = Duration.ZERO;\n", "cannot find symbol"),
        // a whole class with an error on its second line
        Arguments.of("class App {\n  int x = \"text\";\n}\n", "incompatible types"));
  }
}
