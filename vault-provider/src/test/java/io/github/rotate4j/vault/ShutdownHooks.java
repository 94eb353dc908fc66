package io.github.rotate4j.vault;

/** Stops test servers when the JVM exits before the tests could (a killed or crashed run). */
final class ShutdownHooks {
  private ShutdownHooks() {}

  static Thread register(String name, Runnable stop) {
    Thread hook = new Thread(stop, name);
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  static void unregister(Thread hook) {
    if (hook == null || hook == Thread.currentThread()) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting; the hook runs or has run
    }
  }
}
