package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code --call} of the command line: what to call, with what request, and how often in a mix.
 *
 * <pre>
 *   trellis.user.v1.UserService/GetUser {"id":"${user_id}"}     a gRPC method (full, Service/Method or Method) and
 *                                                              a JSON request template
 *   9*UserService/GetUser {"id":"${user_id}"}                   weight 9 in a weighted mix
 *   GET /v1/users/${user_id}                                    REST through the edge
 *   POST /v1/users {"email":"bench-${seq}@example.com","name":"B"}
 * </pre>
 *
 * @param weight relative share of the calls in a mix (1 when alone)
 * @param protocol gRPC or HTTP
 * @param target the gRPC method name as written, or the HTTP path template
 * @param httpMethod GET, POST... for HTTP; empty for gRPC
 * @param body the JSON request (template) for gRPC, the body for HTTP; empty for none
 */
public record CallSpec(int weight, Protocol protocol, String target, String httpMethod, String body) {
  /** How a call travels. */
  public enum Protocol { GRPC, HTTP }

  private static final Pattern SPEC = Pattern.compile("(?s)\\s*(?:(\\d+)\\s*\\*\\s*)?(\\S+)(.*)");
  private static final Set<String> HTTP_METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

  public CallSpec {
    requireNonNull(protocol, "protocol");
    requireNonNull(target, "target");
    requireNonNull(httpMethod, "httpMethod");
    requireNonNull(body, "body");
    if (weight < 1) {
      throw new ConfigException("--call weight must be at least 1, got " + weight);
    }
  }

  /** Parses one {@code --call} value; a malformed one is a {@link ConfigException} that quotes it. */
  public static CallSpec parse(String text) {
    requireNonNull(text, "text");
    Matcher m = SPEC.matcher(text);
    if (!m.matches()) {
      throw new ConfigException("--call must look like 'pkg.Service/Method {json}' or 'GET /path', got '" + text
          + "'");
    }
    int weight = m.group(1) == null ? 1 : parseWeight(m.group(1), text);
    String first = m.group(2);
    String rest = m.group(3).trim();
    if (HTTP_METHODS.contains(first.toUpperCase(Locale.ROOT))) {
      String[] pathAndBody = rest.split("\\s+", 2);
      if (!pathAndBody[0].startsWith("/")) {
        throw new ConfigException("--call '" + text + "': an HTTP call is 'METHOD /path [body]'");
      }
      return new CallSpec(weight, Protocol.HTTP, pathAndBody[0], first.toUpperCase(Locale.ROOT),
          pathAndBody.length > 1 ? pathAndBody[1].trim() : "");
    }
    if (first.startsWith("/") || first.contains("://")) {
      throw new ConfigException("--call '" + text + "': start an HTTP call with its method (GET /path)");
    }
    return new CallSpec(weight, Protocol.GRPC, first, "", rest.isEmpty() ? "{}" : rest);
  }

  private static int parseWeight(String digits, String text) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new ConfigException("--call '" + text + "': the weight is too large");
    }
  }

  /** How the call reads in reports: {@code UserService/GetUser}, {@code GET /v1/users/${user_id}}. */
  public String label() {
    return protocol == Protocol.HTTP ? httpMethod + " " + target : target;
  }
}
