package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A service turns Netty's sampled leak detection off unless the JVM asks for a level. */
class LeakDetectionTest {
  private final ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();

  @AfterEach
  void restore() {
    System.clearProperty(ServiceMain.LEAK_DETECTION);
    ResourceLeakDetector.setLevel(before);
  }

  @Test
  void offInAServiceByDefault() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

    ServiceMain.quietLeakDetection();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
  }

  @Test
  void aLevelGivenToTheJvmStays() {
    System.setProperty(ServiceMain.LEAK_DETECTION, "paranoid");
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);

    ServiceMain.quietLeakDetection();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
