package dev.trellis.platform.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import dev.trellis.platform.data.filter.Filter;
import dev.trellis.platform.data.filter.FilterFields;
import dev.trellis.platform.data.filter.FilterParser;
import dev.trellis.platform.data.filter.Operator;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.testing.MutableClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Property-based fuzzing (jqwik) of what parses client input in the platform: the filter parser and its mapping to
 * SQL conditions, and the page-token decoder. Whatever the input, the answer is a value or an INVALID_ARGUMENT whose
 * status stays bounded; no other exception escapes (which would be INTERNAL). Bounded by tries, so the test command
 * stays fast; a failure prints its seed and shrunk input.
 */
class ParserFuzzTest {
  private static final FilterFields FIELDS = FilterFields.builder()
      .text("email", Operator.EQUALS, v -> DSL.field("email", SQLDataType.VARCHAR).eq(v))
      .text("name", Operator.HAS, v -> DSL.field("name", SQLDataType.VARCHAR).contains(v))
      .number("created_at", Operator.GREATER_OR_EQUAL, n -> DSL.field("created_at", SQLDataType.BIGINT).ge(n))
      .build();
  private final MutableClock clock = MutableClock.startingNow();
  private final PageTokenCodec tokens = new PageTokenCodec(
      "a key of at least thirty-two bytes, for fuzzing".getBytes(StandardCharsets.UTF_8), clock, Duration.ofHours(1));

  @Property(tries = 2000)
  void anyFilterParsesOrIsABoundedInvalidArgument(@ForAll("filters") String filter) {
    answersOrRefuses(() -> {
      Filter parsed = FilterParser.parse(filter);
      FIELDS.toCondition(parsed);
      assertThat(FilterParser.parse(parsed.canonical())).as("the canonical form reads back the same")
          .isEqualTo(parsed);
    });
  }

  @Property(tries = 1500)
  void anyPageTokenDecodesOrIsABoundedInvalidArgument(@ForAll("pageTokens") String token,
      @ForAll("filters") String filter) {
    answersOrRefuses(() -> tokens.decode(token, filter));
  }

  @Property(tries = 500)
  void aValidTokenWithOneByteChangedIsRefused(@ForAll("flips") int[] flip) {
    String token = tokens.encode(42, "name : \"a\"");
    byte[] bytes = Base64.getUrlDecoder().decode(token);
    int at = Math.floorMod(flip[0], bytes.length);
    bytes[at] ^= (byte) (1 + Math.floorMod(flip[1], 255));
    String altered = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);

    answersOrRefuses(() -> {
      tokens.decode(altered, "name : \"a\"");
      throw new AssertionError("an altered token was accepted");
    });
  }

  @Provide
  Arbitrary<String> filters() {
    Arbitrary<String> pieces = Arbitraries.oneOf(
        Arbitraries.of("email", "name", "created_at", "role", "AND", "OR", "NOT", "=", "!=", ":", "<", ">=", "<=",
            "\"", "\\", "\\\"", "\\n", "(", ")", "-", " ", "\t", "0", "-9223372036854775809", "99999999999999999999",
            "\u0000", "\ud800", "\udc00", "\ud83e\uddea", "\u0661\u0662", "\uff11", "e\u0301", "'", "%", "_"),
        Arbitraries.strings().ofMaxLength(8),
        Arbitraries.strings().all().ofMaxLength(8));
    Arbitrary<String> structured = pieces.list().ofMaxSize(30).map(list -> String.join("", list));
    Arbitrary<String> wellFormed = Combinators.combine(
            Arbitraries.of("email =", "name :", "created_at >="),
            Arbitraries.strings().all().ofMaxLength(20))
        .as((head, value) -> head + " \"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    return Arbitraries.oneOf(structured, wellFormed, Arbitraries.strings().all().ofMaxLength(3000));
  }

  @Provide
  Arbitrary<String> pageTokens() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(200),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(120)
            .map(b -> Base64.getUrlEncoder().withoutPadding().encodeToString(b)),
        Arbitraries.longs().map(id -> tokens.encode(id, "")));
  }

  @Provide
  Arbitrary<int[]> flips() {
    return Arbitraries.integers().array(int[].class).ofSize(2);
  }

  /** Runs {@code work}: it may return or refuse with INVALID_ARGUMENT, whose status must be bounded. */
  static void answersOrRefuses(Runnable work) {
    try {
      work.run();
    } catch (InvalidArgumentException e) {
      assertBounded(e);
    }
  }

  static void assertBounded(ApiException e) {
    StatusRuntimeException status = StatusMapper.toStatusException(e);
    assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getStatus().getDescription().getBytes(StandardCharsets.UTF_8))
        .hasSizeLessThanOrEqualTo(StatusMapper.MAX_MESSAGE_BYTES);
    com.google.rpc.Status details = StatusProto.fromThrowable(status);
    assertThat(details.getSerializedSize()).isLessThanOrEqualTo(StatusMapper.MAX_DETAILS_BYTES);
    List<BadRequest.FieldViolation> violations = details.getDetailsList().stream()
        .filter(d -> d.is(BadRequest.class))
        .flatMap(d -> unpack(d).getFieldViolationsList().stream()).toList();
    assertThat(violations).isNotEmpty();
  }

  private static BadRequest unpack(com.google.protobuf.Any any) {
    try {
      return any.unpack(BadRequest.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
