package dev.trellis.platform.server;

import static dev.trellis.testing.ErrorDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What one request can make the server say is bounded, over Netty with grpc-java's own client and its default 8 KiB
 * header-list limit: a thousand long violations (about 300 KB of text) used to overflow it, and the client failed
 * with INTERNAL "http2 exception" instead of the answer.
 */
class ErrorBoundsIT {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.startNetty(grpc);

  @Test
  void aThousandViolationsArriveAsOneBoundedInvalidArgument() {
    CallKind.Outcome outcome = call("many-violations");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription())
        .startsWith("update_mask.paths[0]: unknown field 'xxx")
        .endsWith("(and 999 more field violations)")
        .hasSizeLessThan(StatusMapper.MAX_MESSAGE_BYTES);
    BadRequest bad = detail(outcome.status(), outcome.trailers(), BadRequest.class);
    assertThat(bad.getFieldViolationsCount()).isPositive().isLessThanOrEqualTo(StatusMapper.MAX_VIOLATIONS);
    assertThat(bad.getFieldViolations(0).getDescription()).hasSizeLessThanOrEqualTo(256).endsWith("\u2026");
    ErrorInfo info = detail(outcome.status(), outcome.trailers(), ErrorInfo.class);
    assertThat(info.getMetadataMap()).containsEntry(StatusMapper.TOTAL_VIOLATIONS, "1000")
        .containsEntry(StatusMapper.OMITTED_VIOLATIONS, Integer.toString(1000 - bad.getFieldViolationsCount()));
    assertThat(trailerBytes(outcome)).isLessThan(4096);
  }

  @Test
  void aHandlersOwnHugeStatusIsClippedToo() {
    CallKind.Outcome outcome = call("huge-status");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).startsWith("a handler's own words, \u00e9\u00e9");
    assertThat(outcome.status().getDescription().getBytes(StandardCharsets.UTF_8))
        .hasSizeLessThanOrEqualTo(StatusMapper.MAX_MESSAGE_BYTES);
    assertThat(trailerBytes(outcome)).isLessThan(4096);
  }

  @Test
  void theChannelServesOtherCallsAfterwards() {
    for (int i = 0; i < 3; i++) {
      assertThat(call("many-violations").status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      CallKind.Outcome fine = call("fine");
      assertThat(fine.status().getCode()).isEqualTo(Status.Code.OK);
      assertThat(fine.messages()).containsExactly("fine");
    }
  }

  private CallKind.Outcome call(String command) {
    return CallKind.UNARY.call(platform.channel, TestTokens.bearer(platform.tokens.user(42)), command);
  }

  /** The trailers as HTTP/2 carries them: names, values, binary values in base64, grpc-message percent-encoded. */
  private static int trailerBytes(CallKind.Outcome outcome) {
    int bytes = "grpc-status".length() + 2;
    String description = outcome.status().getDescription();
    if (description != null) {
      bytes += "grpc-message".length();
      for (byte b : description.getBytes(StandardCharsets.UTF_8)) {
        bytes += b >= 0x20 && b < 0x7f && b != '%' ? 1 : 3;
      }
    }
    Metadata trailers = outcome.trailers();
    for (String key : trailers.keys()) {
      if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] value : trailers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
          bytes += key.length() + Base64.getEncoder().withoutPadding().encodeToString(value).length();
        }
      } else {
        for (String value : trailers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
          bytes += key.length() + value.length();
        }
      }
    }
    return bytes;
  }
}
