package dev.trellis.platform.server;

import dev.trellis.platform.ScriptedService;

/**
 * A service main as services write it, run as a real process by {@link ServiceMainIT}. With
 * TRELLIS_SAMPLE_START_FAILURE set, building the service fails the way a real dependency can at start.
 */
public final class SampleServiceMain {
  private SampleServiceMain() {}

  public static void main(String[] args) {
    ServiceMain.run("sample-service", args, runtime -> {
      runtime.settings().optional("TRELLIS_SAMPLE_START_FAILURE").ifPresent(reason -> {
        throw new IllegalStateException(reason);
      });
      return runtime.server().addUndeclaredService(new ScriptedService()).build();
    });
  }
}
