package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.detail;
import static dev.trellis.user.api.Errors.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.FieldMask;
import com.google.rpc.BadRequest;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.testing.LogCapture;
import dev.trellis.testing.RawCall;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ImportUsersResponse.ImportError;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * user-service against bad input over Netty on real PostgreSQL shards: every answer is a bounded, proper status
 * with details (issue 10, items 1 to 4).
 */
class BadInputIT {
  /** CreateUserRequest{email: the byte 0xff (not UTF-8), name: "n"}, the probe's own example. */
  private static final byte[] BAD_EMAIL = HexFormat.of().parseHex("0a01ff12016e");

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");
  private static final LogCapture accessLog = LogCapture.of("trellis.access");
  private final UserServiceBlockingStub admin = blocking(users.tokens().admin(1));

  @AfterAll
  static void stopCapture() {
    accessLog.close();
  }

  private static UserServiceBlockingStub blocking(String token) {
    return users.stub(UserServiceGrpc::newBlockingStub, token).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private User create(String name) {
    return admin.createUser(CreateUserRequest.newBuilder()
        .setEmail(UUID.randomUUID() + "@example.com").setName(name).build());
  }

  @Test
  void aThousandBadMaskPathsIsOneViolationAndOtherCallsOnTheChannelGoOn() {
    User user = create("Masked");
    UpdateUserRequest bad = UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("x"))
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(
            IntStream.range(0, 1000).mapToObj(i -> "no_such_field_" + i + "_" + "x".repeat(40)).toList()))
        .build();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(CompletableFuture.runAsync(() -> {
        StatusRuntimeException e = failure(() -> admin.updateUser(bad));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(detail(e, BadRequest.class).getFieldViolationsList()).singleElement()
            .satisfies(v -> assertThat(v.getField()).isEqualTo("update_mask.paths"));
      }));
      calls.add(CompletableFuture.runAsync(() ->
          assertThat(admin.getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user)));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
  }

  @Test
  void longRolesAreClippedAndTheAnswerStaysSmall() {
    StatusRuntimeException e = failure(() -> admin.createUser(CreateUserRequest.newBuilder()
        .setEmail("roles@example.com").setName("Roles")
        .addAllRoles(IntStream.range(0, 16).mapToObj(i -> "r".repeat(10_000)).toList()).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    List<BadRequest.FieldViolation> listed = detail(e, BadRequest.class).getFieldViolationsList();
    assertThat(listed).isNotEmpty().allSatisfy(v -> assertThat(v.getDescription()).hasSizeLessThanOrEqualTo(256));
    assertThat(detail(e, com.google.rpc.ErrorInfo.class).getMetadataMap())
        .as("what did not fit in the size budget is counted").containsEntry("field_violations", "16")
        .containsEntry("omitted_field_violations", Integer.toString(16 - listed.size()));
    assertThat(e.getStatus().getDescription()).hasSizeLessThan(400);
  }

  @Test
  void rawBytesThatAreNotACreateUserRequestAreInvalidArgumentNamingTheField() {
    RawCall.Outcome outcome = RawCall.call(users.channel(), UserServiceGrpc.getCreateUserMethod(),
        users.tokens().admin(1), List.of(BAD_EMAIL));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).isEqualTo("email: is not valid UTF-8");
    assertThat(detail(outcome.status(), outcome.trailers(), BadRequest.class).getFieldViolations(0).getField())
        .isEqualTo("email");
    String requestId = outcome.trailers().get(RequestIds.HEADER);
    await().atMost(Duration.ofSeconds(10)).until(() -> accessLines(requestId).size() == 1);
    JsonNode line = accessLines(requestId).getFirst();
    assertThat(line.get("method").asText()).isEqualTo("trellis.user.v1.UserService/CreateUser");
    assertThat(line.get("status").asText()).isEqualTo("INVALID_ARGUMENT");
  }

  @ParameterizedTest
  @ValueSource(strings = {"GetUser:08ffffffffffffffffffff", "ListUsers:1a01ff", "SubscribeToUpdates:0a02ffff",
      "DeleteUser:0805ff"})
  void malformedRequestsOfEveryKindAreInvalidArgument(String methodAndBytes) {
    String[] parts = methodAndBytes.split(":");
    MethodDescriptor<?, ?> method = UserServiceGrpc.getServiceDescriptor().getMethods().stream()
        .filter(m -> m.getBareMethodName().equals(parts[0])).findFirst().orElseThrow();

    RawCall.Outcome outcome = RawCall.call(users.channel(), method, users.tokens().admin(1),
        List.of(HexFormat.of().parseHex(parts[1])));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(detail(outcome.status(), outcome.trailers(), BadRequest.class).getFieldViolationsCount()).isOne();
  }

  @Test
  void anImportGoesOnPastBadItemsOfAnyKindAndSaysWhatItCreated() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    List<byte[]> items = List.of(
        item(tag + "-0@example.com", "Imported " + tag).toByteArray(),
        BAD_EMAIL,
        HexFormat.of().parseHex("0a05"), // says 5 bytes follow; none do
        item(tag + "-3@example.com", "Nul\u0000" + tag).toByteArray(),
        item(tag + "-4@example.com", "Imported " + tag).toByteArray());

    RawCall.Outcome outcome = RawCall.call(users.channel(), UserServiceGrpc.getImportUsersMethod(),
        users.tokens().admin(1), items);

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.OK);
    ImportUsersResponse response = parse(outcome.messages().getFirst());
    assertThat(response.getCreatedCount()).isEqualTo(2);
    assertThat(response.getErrorsList()).extracting(ImportError::getIndex).containsExactly(1, 2, 3);
    assertThat(response.getErrorsList()).extracting(ImportError::getReason).containsExactly(
        "email: is not valid UTF-8", "email: is cut short or malformed",
        "name: must not contain the NUL character (at character 4)");
    List<User> listed = new ArrayList<>();
    admin.listUsers(ListUsersRequest.newBuilder().setFilter("name : \"" + tag + "\"").build())
        .forEachRemaining(listed::add);
    assertThat(listed).extracting(User::getEmail)
        .containsExactlyInAnyOrder(tag + "-0@example.com", tag + "-4@example.com");
  }

  @ParameterizedTest
  @ValueSource(strings = {"name : \"a\\u0000b\"", "email = \"a\\u0000b@example.com\"", "role = \"ad\\u0000min\""})
  void aNulInAFilterStringIsInvalidArgument(String filter) {
    StatusRuntimeException e = failure(() -> admin.listUsers(ListUsersRequest.newBuilder()
        .setFilter(filter.replace("\\u0000", "\u0000")).build()).hasNext());

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(detail(e, BadRequest.class).getFieldViolations(0).getField()).isEqualTo("filter");
    assertThat(e.getStatus().getDescription()).contains("NUL").doesNotContain("SQL", "0x00", "22021");
  }

  @Test
  void filterNumbersAreAsciiDigitsOnly() {
    StatusRuntimeException e = failure(() -> admin.listUsers(ListUsersRequest.newBuilder()
        .setFilter("created_at >= \u0661\u0667\u0660\u0660").build()).hasNext());

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  private static CreateUserRequest item(String email, String name) {
    return CreateUserRequest.newBuilder().setEmail(email).setName(name).build();
  }

  private static ImportUsersResponse parse(byte[] bytes) {
    try {
      return ImportUsersResponse.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static List<JsonNode> accessLines(String requestId) {
    return accessLog.lines().stream()
        .filter(l -> l.has("request_id") && l.get("request_id").asText().equals(requestId)).toList();
  }
}
