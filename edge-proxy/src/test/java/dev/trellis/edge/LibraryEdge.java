package dev.trellis.edge;

import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The test contract's backend and an edge in front of it, for one test class:
 * {@code @RegisterExtension static final LibraryEdge library = new LibraryEdge(Map.of(...))}.
 */
final class LibraryEdge implements BeforeAllCallback, AfterAllCallback {
  static final String SERVICE = "trellis.edgetest.v1.LibraryService";

  private final Map<String, String> settings;
  LibraryBackend backend;
  EdgeFixture edge;

  LibraryEdge(Map<String, String> settings) {
    this.settings = settings;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    backend = new LibraryBackend();
    edge = EdgeFixture.start(Map.of(SERVICE, backend.target()), settings);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    edge.close();
    backend.close();
  }
}
