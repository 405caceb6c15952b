package dev.trellis.edge.transcode;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import dev.trellis.platform.error.StatusMapper;
import java.util.Map;
import java.util.Set;

/**
 * A request the edge answers itself, before or instead of calling a service: the HTTP status, and a
 * google.rpc.Status body shaped like the services' errors (an ErrorInfo with a stable reason; a BadRequest field
 * violation when a field is at fault). Carries no stack trace: it is an answer, not a bug.
 */
public final class EdgeError extends RuntimeException {
  private final int httpStatus;
  private final Status status;
  private final Map<String, String> headers;

  private EdgeError(int httpStatus, Status status, Map<String, String> headers) {
    super(status.getMessage(), null, false, false);
    this.httpStatus = httpStatus;
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  public int httpStatus() {
    return httpStatus;
  }

  public Status status() {
    return status;
  }

  /** Extra response headers (Allow on a 405). */
  public Map<String, String> headers() {
    return headers;
  }

  /** No route has this path (Envoy answers 415 here; a 404 says what happened). */
  public static EdgeError notFound(String path) {
    return of(404, Code.NOT_FOUND, "UNKNOWN_PATH", "no route for " + path, null, null);
  }

  /** The path exists, not with this method. */
  public static EdgeError methodNotAllowed(String method, Set<String> allowed) {
    EdgeError base = of(405, Code.UNIMPLEMENTED, "METHOD_NOT_ALLOWED",
        method + " is not allowed here; allowed: " + String.join(", ", allowed), null, null);
    return new EdgeError(405, base.status, Map.of("allow", String.join(", ", allowed)));
  }

  /** The body or a parameter is not what the RPC takes. {@code field} may be null. */
  public static EdgeError invalidArgument(String reason, String message, String field) {
    return of(400, Code.INVALID_ARGUMENT, reason, message, field, message);
  }

  public static EdgeError tooLarge(long limit) {
    return of(413, Code.RESOURCE_EXHAUSTED, "BODY_TOO_LARGE",
        "the request body is larger than " + limit + " bytes", null, null);
  }

  public static EdgeError unsupportedMediaType(String contentType, String expected) {
    return of(415, Code.INVALID_ARGUMENT, "UNSUPPORTED_MEDIA_TYPE",
        "content-type '" + contentType + "' is not accepted here; send " + expected, null, null);
  }

  /** A CORS preflight from an origin the configuration does not allow. */
  public static EdgeError originNotAllowed(String origin) {
    return of(403, Code.PERMISSION_DENIED, "CORS_ORIGIN_NOT_ALLOWED",
        "origin " + origin + " may not call this API from a browser", null, null);
  }

  /** The RPC's service has no upstream, or the edge is stopping. */
  public static EdgeError unavailable(String reason, String message) {
    return of(503, Code.UNAVAILABLE, reason, message, null, null);
  }

  private static EdgeError of(int http, Code code, String reason, String message, String field, String why) {
    requireNonNull(message, "message");
    Status.Builder status = Status.newBuilder().setCode(code.getNumber()).setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(StatusMapper.DOMAIN).build()));
    if (field != null) {
      status.addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(
          BadRequest.FieldViolation.newBuilder().setField(field).setDescription(why)).build()));
    }
    return new EdgeError(http, status.build(), Map.of());
  }
}
