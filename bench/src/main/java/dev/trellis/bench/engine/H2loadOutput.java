package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The summary h2load prints at the end of a run (nghttp2 1.52), parsed:
 *
 * <pre>
 * finished in 10.00s, 6123.40 req/s, 1.23MB/s
 * requests: 61234 total, 61234 started, 61234 done, 61234 succeeded, 0 failed, 0 errored, 0 timeout
 * status codes: 61234 2xx, 0 3xx, 0 4xx, 0 5xx
 * </pre>
 *
 * "succeeded" means an HTTP status below 400 and nothing about gRPC: a gRPC error is an HTTP 200 with a grpc-status
 * trailer, which h2load does not read.
 *
 * @param seconds the run's length as h2load timed it
 * @param requestsPerSecond h2load's own rate
 * @param done requests that got a whole response
 * @param succeeded responses with an HTTP status below 400
 * @param failed requests that failed (HTTP 4xx/5xx, resets, timeouts)
 * @param errored requests that never got a response (stream or connection errors)
 * @param status2xx responses per status class...
 */
public record H2loadOutput(double seconds, double requestsPerSecond, long total, long done, long succeeded,
    long failed, long errored, long timeout, long status2xx, long status3xx, long status4xx, long status5xx) {

  private static final Pattern FINISHED = Pattern.compile(
      "finished in ([0-9.]+)(us|ms|s|m|h), ([0-9.]+) req/s");
  private static final Pattern REQUESTS = Pattern.compile(
      "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, "
          + "(\\d+) timeout");
  private static final Pattern STATUS = Pattern.compile(
      "status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

  /** Parses h2load's standard output; an {@link IllegalArgumentException} quotes its end when there is no summary. */
  public static H2loadOutput parse(String output) {
    requireNonNull(output, "output");
    Matcher finished = FINISHED.matcher(output);
    Matcher requests = REQUESTS.matcher(output);
    Matcher status = STATUS.matcher(output);
    if (!finished.find() || !requests.find() || !status.find()) {
      throw new IllegalArgumentException("h2load printed no summary; its output ends with: "
          + tail(output, 600));
    }
    return new H2loadOutput(seconds(finished.group(1), finished.group(2)), Double.parseDouble(finished.group(3)),
        Long.parseLong(requests.group(1)), Long.parseLong(requests.group(3)), Long.parseLong(requests.group(4)),
        Long.parseLong(requests.group(5)), Long.parseLong(requests.group(6)), Long.parseLong(requests.group(7)),
        Long.parseLong(status.group(1)), Long.parseLong(status.group(2)), Long.parseLong(status.group(3)),
        Long.parseLong(status.group(4)));
  }

  private static double seconds(String number, String unit) {
    double value = Double.parseDouble(number);
    return switch (unit) {
      case "us" -> value / 1e6;
      case "ms" -> value / 1e3;
      case "m" -> value * 60;
      case "h" -> value * 3600;
      default -> value;
    };
  }

  static String tail(String text, int chars) {
    String trimmed = text.strip();
    return trimmed.length() <= chars ? trimmed : "..." + trimmed.substring(trimmed.length() - chars);
  }

  /**
   * One line of h2load's {@code --log-file}: start time (epoch microseconds), HTTP status, microseconds to the end of
   * the response, tab-separated. Returns false for a line that is not one (a header, a partial line).
   */
  public static boolean addLogLine(String line, dev.trellis.bench.measure.LogRecorder recorder) {
    String[] f = line.split("\t");
    if (f.length < 3) {
      return false;
    }
    try {
      long start = Long.parseLong(f[0].trim());
      int status = Integer.parseInt(f[1].trim());
      long latency = Long.parseLong(f[2].trim());
      boolean ok = status >= 200 && status < 300;
      recorder.add(start + latency, latency, status < 0 ? "no response" : "HTTP " + status, ok, ok ? 1 : 0);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
