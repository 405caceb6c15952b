package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns {@link ApiException}s into gRPC statuses with google.rpc details (the rich error model of AIP-193), and
 * anything else into a bare INTERNAL. Every status carries an ErrorInfo with a stable reason.
 *
 * <p>What one request can make the server say is bounded ({@link #bound}): at most {@value #MAX_VIOLATIONS} field
 * violations are listed (ErrorInfo metadata {@value #OMITTED_VIOLATIONS} counts the rest), each field path and
 * description is clipped, the message is a short summary, and the serialized details stay under
 * {@value #MAX_DETAILS_BYTES} bytes. So the whole trailer block (grpc-status, grpc-message percent-encoded,
 * grpc-status-details-bin in base64, the request id) stays well under the 8 KiB header lists that grpc-java, grpc-js
 * and Envoy accept by default, whatever the request held.
 */
public final class StatusMapper {
  /** The ErrorInfo domain of every Trellis error. */
  public static final String DOMAIN = "trellis.dev";
  /** The most field violations a status lists. */
  public static final int MAX_VIOLATIONS = 20;
  /** ErrorInfo metadata key: how many field violations were found in all, when some were not listed. */
  public static final String TOTAL_VIOLATIONS = "field_violations";
  /** ErrorInfo metadata key: how many field violations were found but not listed. */
  public static final String OMITTED_VIOLATIONS = "omitted_field_violations";
  /** The most bytes of a serialized google.rpc.Status (about 2.7 KiB once base64-encoded in the trailers). */
  public static final int MAX_DETAILS_BYTES = 2048;
  /** The most UTF-8 bytes of a status message (at most three times that once percent-encoded). */
  public static final int MAX_MESSAGE_BYTES = 320;
  static final int MAX_FIELD_CHARS = 128;
  static final int MAX_DESCRIPTION_CHARS = 256;
  private static final int MAX_STRING_CHARS = 256;
  private static final Metadata.Key<Status> DETAILS_KEY =
      Metadata.Key.of("grpc-status-details-bin", ProtoUtils.metadataMarshaller(Status.getDefaultInstance()));

  private StatusMapper() {}

  /** The status an {@link ApiException} stands for, with its details, bounded as {@link #bound} says. */
  public static StatusRuntimeException toStatusException(ApiException e) {
    requireNonNull(e, "e");
    Status.Builder status = Status.newBuilder().setCode(code(e).getNumber()).setMessage(e.getMessage());
    ErrorInfo.Builder info = ErrorInfo.newBuilder().setReason(e.reason()).setDomain(DOMAIN)
        .putAllMetadata(e.metadata());
    switch (e) {
      case InvalidArgumentException invalid -> {
        List<FieldViolation> violations = invalid.violations();
        BadRequest.Builder bad = BadRequest.newBuilder();
        // Only what can be listed is built: a request naming a million bad things costs no more than twenty.
        violations.stream().limit(MAX_VIOLATIONS).forEach(v -> bad.addFieldViolationsBuilder()
            .setField(v.field()).setDescription(v.description()));
        if (violations.size() > MAX_VIOLATIONS) {
          info.putMetadata(TOTAL_VIOLATIONS, Integer.toString(violations.size()));
          info.putMetadata(OMITTED_VIOLATIONS, Integer.toString(violations.size() - MAX_VIOLATIONS));
        }
        status.addDetails(Any.pack(info.build()));
        status.addDetails(Any.pack(bad.build()));
      }
      case NotFoundException notFound -> status.addDetails(Any.pack(info.build())).addDetails(Any.pack(
          ResourceInfo.newBuilder()
              .setResourceType(notFound.resourceType()).setResourceName(notFound.resourceName()).build()));
      case AlreadyExistsException exists -> status.addDetails(Any.pack(info.build())).addDetails(Any.pack(
          ResourceInfo.newBuilder()
              .setResourceType(exists.resourceType()).setResourceName(exists.resourceName()).build()));
      case ResourceExhaustedException exhausted ->
          status.addDetails(Any.pack(info.build())).addDetails(retryInfo(exhausted.retryDelay()));
      case UnavailableException unavailable ->
          status.addDetails(Any.pack(info.build())).addDetails(retryInfo(unavailable.retryDelay()));
      case AbortedException aborted -> {
        status.addDetails(Any.pack(info.build()));
        aborted.retryDelay().ifPresent(delay -> status.addDetails(retryInfo(delay)));
      }
      default -> status.addDetails(Any.pack(info.build()));
    }
    return StatusProto.toStatusRuntimeException(bound(status.build()));
  }

  /**
   * {@code status} cut down to what one answer may carry: the message clipped to {@value #MAX_MESSAGE_BYTES} UTF-8
   * bytes; in a BadRequest at most {@value #MAX_VIOLATIONS} violations with clipped fields and descriptions, the rest
   * counted in the ErrorInfo; other strings clipped; then violations dropped from the end (and counted) until the
   * whole serializes to at most {@value #MAX_DETAILS_BYTES} bytes; as a last resort only the ErrorInfo is kept.
   */
  public static Status bound(Status status) {
    requireNonNull(status, "status");
    Status.Builder out = status.toBuilder().setMessage(clipUtf8(status.getMessage(), MAX_MESSAGE_BYTES))
        .clearDetails();
    int errorInfoAt = -1;
    int badRequestAt = -1;
    BadRequest bad = null;
    ErrorInfo info = null;
    int omitted = 0;
    for (Any detail : status.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class) && info == null) {
          info = detail.unpack(ErrorInfo.class);
          errorInfoAt = out.getDetailsCount();
          omitted = Integer.parseInt(info.getMetadataOrDefault(OMITTED_VIOLATIONS, "0"));
          out.addDetails(detail);
        } else if (detail.is(BadRequest.class) && bad == null) {
          BadRequest original = detail.unpack(BadRequest.class);
          BadRequest.Builder clipped = BadRequest.newBuilder();
          original.getFieldViolationsList().stream().limit(MAX_VIOLATIONS).forEach(v ->
              clipped.addFieldViolationsBuilder()
                  .setField(clip(v.getField(), MAX_FIELD_CHARS))
                  .setDescription(clip(v.getDescription(), MAX_DESCRIPTION_CHARS)));
          omitted += original.getFieldViolationsCount() - clipped.getFieldViolationsCount();
          bad = clipped.build();
          badRequestAt = out.getDetailsCount();
          out.addDetails(Any.pack(bad));
        } else if (detail.is(ResourceInfo.class)) {
          ResourceInfo resource = detail.unpack(ResourceInfo.class);
          out.addDetails(Any.pack(resource.toBuilder()
              .setResourceType(clip(resource.getResourceType(), MAX_STRING_CHARS))
              .setResourceName(clip(resource.getResourceName(), MAX_STRING_CHARS))
              .setOwner(clip(resource.getOwner(), MAX_STRING_CHARS))
              .setDescription(clip(resource.getDescription(), MAX_STRING_CHARS)).build()));
        } else {
          out.addDetails(detail);
        }
      } catch (InvalidProtocolBufferException | NumberFormatException e) {
        // A detail that does not read as its type is not worth sending.
      }
    }
    int listed = bad == null ? 0 : bad.getFieldViolationsCount();
    while (out.build().getSerializedSize() > MAX_DETAILS_BYTES && listed > 0) {
      listed--;
      omitted++;
      bad = bad.toBuilder().removeFieldViolations(listed).build();
      out.setDetails(badRequestAt, Any.pack(bad));
      if (errorInfoAt >= 0) {
        out.setDetails(errorInfoAt, Any.pack(withOmitted(info, listed + omitted, omitted)));
      }
    }
    if (errorInfoAt >= 0 && omitted > 0) {
      out.setDetails(errorInfoAt, Any.pack(withOmitted(info, listed + omitted, omitted)));
    }
    if (out.build().getSerializedSize() > MAX_DETAILS_BYTES) {
      out.clearDetails();
      if (info != null) {
        out.addDetails(Any.pack(info.toBuilder().clearMetadata()
            .setReason(clip(info.getReason(), 64)).setDomain(clip(info.getDomain(), 64)).build()));
      }
    }
    return out.build();
  }

  /**
   * A status and its trailers bounded as {@link #bound(Status)} says: the description clipped and, when the trailers
   * carry google.rpc details, the details bounded too. For statuses a handler built itself.
   *
   * @return the status to close with; {@code trailers} are changed in place
   */
  public static io.grpc.Status bound(io.grpc.Status status, Metadata trailers) {
    requireNonNull(status, "status");
    requireNonNull(trailers, "trailers");
    String description = status.getDescription();
    io.grpc.Status bounded = description == null ? status
        : status.withDescription(clipUtf8(description, MAX_MESSAGE_BYTES));
    Status details = trailers.get(DETAILS_KEY);
    if (details != null) {
      Status clipped = bound(details.toBuilder().setMessage(description == null ? "" : description).build());
      if (!clipped.equals(details)) {
        trailers.discardAll(DETAILS_KEY);
        trailers.put(DETAILS_KEY, clipped);
      }
    }
    return bounded;
  }

  /** {@code text} cut to at most {@code max} characters (never inside a surrogate pair), marked with an ellipsis. */
  public static String clip(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "\u2026";
  }

  private static String clipUtf8(String text, int maxBytes) {
    if (text.length() * 3 <= maxBytes || text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
      return text;
    }
    int bytes = 3; // the ellipsis
    int end = 0;
    while (end < text.length()) {
      int cp = text.codePointAt(end);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      end += Character.charCount(cp);
    }
    return text.substring(0, end) + "\u2026";
  }

  private static ErrorInfo withOmitted(ErrorInfo info, int total, int omitted) {
    return info.toBuilder()
        .putMetadata(TOTAL_VIOLATIONS, Integer.toString(total))
        .putMetadata(OMITTED_VIOLATIONS, Integer.toString(omitted))
        .build();
  }

  /**
   * Closes {@code call} with the status {@code e} stands for and returns a listener that ignores the rest of the
   * call: how an interceptor refuses a call (no token, over a limit) without reaching the handler.
   */
  public static <ReqT> ServerCall.Listener<ReqT> reject(ServerCall<ReqT, ?> call, ApiException e) {
    requireNonNull(call, "call");
    StatusRuntimeException status = toStatusException(e);
    call.close(status.getStatus(), status.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  /**
   * The INTERNAL status for a failure nobody planned for. Its message is generic on purpose: the cause is
   * logged on the server under the given request id, never sent to the client.
   */
  public static StatusRuntimeException internal(String requestId) {
    Status status = Status.newBuilder()
        .setCode(Code.INTERNAL_VALUE)
        .setMessage("internal error; quote request id " + requestId + " when reporting it")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("INTERNAL").setDomain(DOMAIN).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  private static Code code(ApiException e) {
    return switch (e) {
      case InvalidArgumentException x -> Code.INVALID_ARGUMENT;
      case NotFoundException x -> Code.NOT_FOUND;
      case AlreadyExistsException x -> Code.ALREADY_EXISTS;
      case PermissionDeniedException x -> Code.PERMISSION_DENIED;
      case UnauthenticatedException x -> Code.UNAUTHENTICATED;
      case ResourceExhaustedException x -> Code.RESOURCE_EXHAUSTED;
      case UnavailableException x -> Code.UNAVAILABLE;
      case FailedPreconditionException x -> Code.FAILED_PRECONDITION;
      case AbortedException x -> Code.ABORTED;
    };
  }

  private static Any retryInfo(java.time.Duration delay) {
    return Any.pack(RetryInfo.newBuilder()
        .setRetryDelay(Duration.newBuilder().setSeconds(delay.getSeconds()).setNanos(delay.getNano()))
        .build());
  }
}
