package dev.trellis.platform.stream;

import dev.trellis.platform.error.InvalidArgumentException;

/**
 * What a client-streaming handler does with each item of the stream, in stream order, one at a time
 * ({@link ClientStreamItems}). The index counts every message the client sent, parsed or not, from zero.
 */
public interface ItemHandler<T> {
  /** A parsed item. Validation is the handler's: a bad item it finds is reported like a malformed one. */
  void item(int index, T item);

  /** A message that could not be parsed (bad protobuf bytes, invalid UTF-8 in a string): the stream goes on. */
  void malformed(int index, InvalidArgumentException problem);

  /** The client sent its last item: answer now. */
  void end();

  /** The client gave up (cancelled, deadline); nothing can be answered. */
  default void cancelled() {}
}
