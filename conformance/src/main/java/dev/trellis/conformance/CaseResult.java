package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How one case ended.
 *
 * @param name its interop name
 * @param rpc the RPC or route it used
 * @param target what it ran against
 * @param passed whether it passed
 * @param note what it saw, or why it failed
 * @param took how long it ran
 */
public record CaseResult(String name, String rpc, String target, boolean passed, String note, Duration took) {
  public CaseResult {
    requireNonNull(name, "name");
    requireNonNull(rpc, "rpc");
    requireNonNull(target, "target");
    requireNonNull(note, "note");
    requireNonNull(took, "took");
  }
}
