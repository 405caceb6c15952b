package dev.trellis.platform.context;

import io.grpc.Metadata;

/**
 * What the code serving a call may ask of the server that runs it, beyond the call itself: long streams end when
 * the server begins to shut down, and a stream may say something in its response headers before its first message.
 * The server gives every call one ({@link CallRecordWriter#control}); code reaches it through {@link CallContext}.
 */
public interface CallControl {
  /**
   * Runs {@code action} on a thread of its own as soon as the server begins shutdown, or at once when it has begun,
   * unless the call has ended by then.
   */
  void onServerShutdown(Runnable action);

  /**
   * Sends the response headers now, with {@code headers} among them, unless they were sent already (with the first
   * message); the headers the call would send later are then dropped. Returns whether they went out now.
   */
  boolean sendHeadersNow(Metadata headers);
}
