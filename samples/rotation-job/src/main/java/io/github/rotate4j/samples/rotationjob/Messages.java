package io.github.rotate4j.samples.rotationjob;

/** Readable one-line messages of exceptions (which never carry secrets in this code base). */
final class Messages {

  private Messages() {}

  static String of(Throwable e) {
    String m = e.getMessage();
    String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null && !text.contains(cause.getMessage())) {
      text += " (" + cause.getMessage() + ")";
    }
    return text.replace('\n', ' ');
  }
}
