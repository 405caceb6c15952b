package dev.trellis.platform.stream;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.FieldViolation;
import io.grpc.Context;
import java.util.function.Consumer;

/**
 * Where the server reports a client-stream message that could not be parsed, when the handler asked to hear of them
 * ({@link ClientStreamItems}) instead of having the call end with INVALID_ARGUMENT. The server opens one per
 * client-streaming or bidi call and puts it in the handler's Context while the handler starts; a handler that never
 * registers leaves the default, which is ending the call.
 */
public final class MalformedItems {
  private static final Context.Key<MalformedItems> KEY = Context.key("trellis-malformed-items");

  private volatile Consumer<FieldViolation> sink;

  /** {@code context} with {@code items} as the slot of the call about to start; for the server. */
  public static Context in(Context context, MalformedItems items) {
    return requireNonNull(context, "context").withValue(KEY, requireNonNull(items, "items"));
  }

  /** The slot of the call whose handler is starting, or null outside one (the in-process tests of a stub). */
  static MalformedItems current() {
    return KEY.get();
  }

  void register(Consumer<FieldViolation> sink) {
    this.sink = requireNonNull(sink, "sink");
  }

  /**
   * Hands a message that could not be parsed to the handler.
   *
   * @return false when the handler did not ask for them: then the call must end
   */
  public boolean deliver(FieldViolation violation) {
    Consumer<FieldViolation> current = sink;
    if (current == null) {
      return false;
    }
    current.accept(requireNonNull(violation, "violation"));
    return true;
  }
}
