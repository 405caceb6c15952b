package dev.trellis.conformance;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ExecutionException;

/** A case saw something other than what the contract promises; the message says what, in one line. */
final class CaseFailure extends RuntimeException {
  CaseFailure(String message) {
    super(message, null, false, false);
  }

  /** Fails unless {@code condition} holds. */
  static void check(boolean condition, String message) {
    if (!condition) {
      throw new CaseFailure(message);
    }
  }

  /** The status a call that must fail ended with; a call that answered is a failure. */
  static Status statusOf(ThrowingCall call, String what) {
    return errorOf(call, what).getStatus();
  }

  /** The error (status and trailers) a call that must fail ended with; a call that answered is a failure. */
  static StatusRuntimeException errorOf(ThrowingCall call, String what) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException status) {
        return status;
      }
      throw new CaseFailure(what + " failed outside gRPC: " + e.getCause());
    } catch (Exception e) {
      throw new CaseFailure(what + " failed outside gRPC: " + e);
    }
    throw new CaseFailure(what + " answered; expected an error status");
  }

  /** Fails unless {@code status} has {@code expected} as its code. */
  static void expectCode(Status status, Status.Code expected, String what) {
    check(status.getCode() == expected, what + " ended " + status.getCode() + " (" + status.getDescription()
        + "); expected " + expected);
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }
}
