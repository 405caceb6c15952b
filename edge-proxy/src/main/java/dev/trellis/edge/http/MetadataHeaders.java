package dev.trellis.edge.http;

import io.grpc.Metadata;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.util.Base64;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Between HTTP headers and gRPC metadata. A REST caller's headers pass as metadata only where the services read them
 * (authorization, the request id, W3C trace context, the idempotency key); a gRPC-Web caller's custom headers are
 * its metadata, so all pass but those of HTTP itself. The caller's address goes as x-forwarded-for. Response
 * metadata comes back as headers, except gRPC's own.
 */
final class MetadataHeaders {
  static final Metadata.Key<String> AUTHORIZATION = ascii("authorization");
  static final Metadata.Key<String> REQUEST_ID = ascii("x-request-id");
  static final Metadata.Key<String> TRACEPARENT = ascii("traceparent");
  static final Metadata.Key<String> TRACESTATE = ascii("tracestate");
  static final Metadata.Key<String> IDEMPOTENCY_KEY = ascii("idempotency-key");
  static final Metadata.Key<String> FORWARDED_FOR = ascii("x-forwarded-for");

  /** Headers of HTTP or of the gRPC-Web framing, never metadata. */
  private static final Set<String> NOT_METADATA = Set.of("host", "connection", "keep-alive", "proxy-connection",
      "transfer-encoding", "upgrade", "te", "trailer", "content-length", "content-type", "accept", "accept-encoding",
      "accept-language", "user-agent", "origin", "referer", "cookie", "x-grpc-web", "x-user-agent", "grpc-timeout",
      "grpc-encoding", "grpc-accept-encoding", "x-forwarded-for", "x-request-id", "http2-settings", "expect",
      "sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "priority", "cache-control", "pragma");
  private static final Pattern GRPC_TIMEOUT = Pattern.compile("(\\d{1,8})([HMSmun])");

  private MetadataHeaders() {}

  /**
   * The metadata of a REST call: the headers the services read, the request id and the forwarded address.
   *
   * @throws IllegalArgumentException naming a header whose value is not printable ASCII
   */
  static Metadata forRest(HttpHeaders headers, String requestId, String forwardedFor, boolean passTraceContext) {
    Metadata metadata = new Metadata();
    copy(headers, "authorization", metadata, AUTHORIZATION);
    copy(headers, "idempotency-key", metadata, IDEMPOTENCY_KEY);
    if (passTraceContext) {
      copy(headers, "traceparent", metadata, TRACEPARENT);
      copy(headers, "tracestate", metadata, TRACESTATE);
    }
    metadata.put(REQUEST_ID, requestId);
    metadata.put(FORWARDED_FOR, forwardedFor);
    return metadata;
  }

  /**
   * The metadata of a gRPC-Web call: its custom headers, binary ones decoded from base64.
   *
   * @throws IllegalArgumentException naming a header that cannot be metadata: a name outside gRPC's alphabet, or a
   *     {@code -bin} value that is not base64
   */
  static Metadata forGrpcWeb(HttpHeaders headers, String requestId, String forwardedFor, boolean passTraceContext) {
    Metadata metadata = new Metadata();
    for (var header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (NOT_METADATA.contains(name) || name.startsWith(":") || name.startsWith("x-http2-")
          || name.startsWith("access-control-") || isTraceContext(name) && !passTraceContext) {
        continue;
      }
      boolean binary = name.endsWith(Metadata.BINARY_HEADER_SUFFIX);
      if (!binary) {
        printableAscii(name, header.getValue());
      }
      try {
        if (binary) {
          metadata.put(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
              Base64.getDecoder().decode(header.getValue().trim()));
        } else {
          metadata.put(ascii(name), printableAscii(name, header.getValue()));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("header " + name + " cannot be gRPC metadata: " + (binary
            ? "a -bin value must be base64" : "a name holds lowercase letters, digits, '-', '_' and '.' only"));
      }
    }
    metadata.put(REQUEST_ID, requestId);
    metadata.put(FORWARDED_FOR, forwardedFor);
    return metadata;
  }

  private static boolean isTraceContext(String name) {
    return name.equals("traceparent") || name.equals("tracestate");
  }

  /**
   * The x-forwarded-for to send: the caller's address after the chain it brought when the caller is a trusted proxy
   * (a load balancer in front of the edge), else the caller's address alone, so no client picks its own.
   */
  static String forwardedFor(String incoming, InetAddress peer, boolean peerTrusted) {
    String address = peer == null ? "unknown" : peer.getHostAddress();
    return peerTrusted && incoming != null && !incoming.isBlank() ? incoming.trim() + ", " + address : address;
  }

  /**
   * Response metadata as HTTP headers: all but gRPC's own, the content type and the request id (set by the edge);
   * binary values as base64 only when {@code binary} (gRPC-Web), else left out.
   */
  static void toHttp(Metadata metadata, HttpHeaders headers, boolean binary) {
    if (metadata == null) {
      return;
    }
    for (String name : metadata.keys()) {
      if (name.startsWith("grpc-") || name.equals("content-type") || name.equals("x-request-id")
          || name.startsWith(":") || name.equals("te")) {
        continue;
      }
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        if (binary) {
          for (byte[] value : metadata.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
            headers.add(name, Base64.getEncoder().encodeToString(value));
          }
        }
      } else {
        for (String value : metadata.getAll(ascii(name))) {
          headers.add(name, value);
        }
      }
    }
  }

  /** A grpc-timeout header in nanoseconds ({@code 100m}, {@code 5S}), as gRPC and Envoy read it. */
  static OptionalLong grpcTimeoutNanos(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    Matcher m = GRPC_TIMEOUT.matcher(value.trim());
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    long amount = Long.parseLong(m.group(1));
    TimeUnit unit = switch (m.group(2)) {
      case "H" -> TimeUnit.HOURS;
      case "M" -> TimeUnit.MINUTES;
      case "S" -> TimeUnit.SECONDS;
      case "m" -> TimeUnit.MILLISECONDS;
      case "u" -> TimeUnit.MICROSECONDS;
      default -> TimeUnit.NANOSECONDS;
    };
    return OptionalLong.of(unit.toNanos(amount));
  }

  private static void copy(HttpHeaders headers, String name, Metadata metadata, Metadata.Key<String> key) {
    for (String value : headers.getAll(name)) {
      metadata.put(key, printableAscii(name, value));
    }
  }

  /**
   * A metadata value as gRPC has it: printable ASCII and spaces. Anything else is refused rather than passed on,
   * where each character beyond ASCII would become '?' and two different idempotency keys could meet as one.
   */
  private static String printableAscii(String name, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new IllegalArgumentException("header " + name + " must be printable ASCII to travel as gRPC metadata"
            + " (character " + (i + 1) + " is not)");
      }
    }
    return value;
  }

  private static Metadata.Key<String> ascii(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
