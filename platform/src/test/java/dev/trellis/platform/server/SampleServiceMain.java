package dev.trellis.platform.server;

import dev.trellis.platform.ScriptedService;

/** A service main as services write it, run as a real process by {@link ServiceMainIT}. */
public final class SampleServiceMain {
  private SampleServiceMain() {}

  public static void main(String[] args) {
    ServiceMain.run("sample-service", args, runtime -> runtime.server().addService(new ScriptedService()).build());
  }
}
