package dev.trellis.edge.transcode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a request body that arrives in chunks into its JSON values, without holding more than the value being read:
 * either one JSON array, whose elements are the values, or NDJSON (values one after another, one per line). Jackson's
 * non-blocking parser checks the syntax and tells where each value starts and ends; the bytes in between are the
 * value's text. So a client stream of any length passes with one message in memory at a time.
 */
public final class JsonSequenceSplitter {
  private static final JsonFactory FACTORY = new JsonFactory();

  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  private final long maxValueBytes;
  private byte[] pending = new byte[8192]; // the bytes from the start of the value being read
  private int pendingLength;
  private long pendingStart; // stream offset of pending[0]
  private long valueStart = -1; // stream offset where the current value began
  private long scanFrom; // stream offset after the last value (or the array's '['), where the next one is sought
  private int depth;
  private Boolean array; // null until the first token says
  private boolean arrayClosed;

  /** @param maxValueBytes the largest one value may be (the body limit applies to each message of a stream) */
  public JsonSequenceSplitter(long maxValueBytes) {
    try {
      this.parser = FACTORY.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    this.maxValueBytes = maxValueBytes;
  }

  /**
   * Feeds the next chunk; returns the values it completed, in order.
   *
   * @throws EdgeError 400 for invalid JSON, 413 for a value over the limit
   */
  public List<String> feed(byte[] chunk) {
    if (pendingLength + chunk.length > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + chunk.length));
    }
    System.arraycopy(chunk, 0, pending, pendingLength, chunk.length);
    pendingLength += chunk.length;
    try {
      feeder.feedInput(chunk, 0, chunk.length);
    } catch (IOException e) {
      throw invalid(e);
    }
    return drain();
  }

  /**
   * The body has ended; returns the values still complete in it.
   *
   * @throws EdgeError 400 when the body stops in the middle of a value or an unclosed array
   */
  public List<String> finish() {
    feeder.endOfInput();
    List<String> values;
    try {
      values = drain();
    } catch (EdgeError e) {
      throw e.httpStatus() == 400
          ? EdgeError.invalidArgument("INVALID_JSON", "the body ends in the middle of a JSON value", null) : e;
    }
    if (depth != 0 || Boolean.TRUE.equals(array) && !arrayClosed) {
      throw EdgeError.invalidArgument("INVALID_JSON", "the body ends in the middle of a JSON value", null);
    }
    return values;
  }

  private List<String> drain() {
    List<String> values = new ArrayList<>();
    try {
      JsonToken token;
      while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
        if (arrayClosed) {
          throw EdgeError.invalidArgument("INVALID_JSON", "unexpected content after the JSON array", null);
        }
        if (array == null) {
          array = token == JsonToken.START_ARRAY;
          if (array) {
            continue;
          }
        }
        if (array && depth == 0 && token == JsonToken.END_ARRAY) {
          arrayClosed = true;
          continue;
        }
        if (depth == 0) { // a value inside the root array, or at the root of NDJSON
          valueStart = firstByteOfValue();
        }
        if (token.isStructStart()) {
          depth++;
        } else if (token.isStructEnd()) {
          depth--;
        }
        if (depth == 0) { // a value inside the root array, or at the root of NDJSON
          long end = parser.currentLocation().getByteOffset();
          if (end - valueStart > maxValueBytes) {
            throw EdgeError.tooLarge(maxValueBytes);
          }
          values.add(slice(valueStart, end));
          valueStart = -1;
          scanFrom = end;
        }
      }
    } catch (IOException e) {
      throw invalid(e);
    }
    long keepFrom = valueStart >= 0 ? valueStart : pendingStart + pendingLength;
    if (keepFrom > pendingStart) {
      compact(keepFrom);
    }
    if (pendingLength > maxValueBytes) {
      throw EdgeError.tooLarge(maxValueBytes);
    }
    return values;
  }

  /**
   * Where the value that just began starts: the first byte after the last value that is not white space, a comma or
   * the array's '[' (the parser's own token offsets are not exact for a value's first token).
   */
  private long firstByteOfValue() {
    long at = Math.max(scanFrom, pendingStart);
    while (at - pendingStart < pendingLength) {
      byte b = pending[(int) (at - pendingStart)];
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != ',' && b != '[') {
        break;
      }
      at++;
    }
    return at;
  }

  private String slice(long start, long end) {
    return new String(pending, (int) (start - pendingStart), (int) (end - start), StandardCharsets.UTF_8);
  }

  private void compact(long keepFrom) {
    int drop = (int) Math.min(keepFrom - pendingStart, pendingLength);
    System.arraycopy(pending, drop, pending, 0, pendingLength - drop);
    pendingLength -= drop;
    pendingStart += drop;
  }

  private static EdgeError invalid(IOException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    int newline = message.indexOf('\n');
    return EdgeError.invalidArgument("INVALID_JSON",
        "the body is not a JSON array or NDJSON: " + (newline < 0 ? message : message.substring(0, newline)), null);
  }
}
