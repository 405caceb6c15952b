package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

/**
 * A step that could not complete: its order is rejected with {@link #getMessage()} as the reason, after the
 * completed steps are compensated.
 */
final class StepFailedException extends RuntimeException {
  private final boolean undoThisStep;

  /**
   * @param undoThisStep whether the step may have done part of its work (some lines reserved; a call that timed
   *     out may still have charged), so that its own compensation must run too; false for a clean refusal
   */
  StepFailedException(String reason, boolean undoThisStep) {
    super(requireNonNull(reason, "reason"), null, false, false);
    this.undoThisStep = undoThisStep;
  }

  boolean undoThisStep() {
    return undoThisStep;
  }
}
