package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.RequestFuzz;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A bounded random-bytes fuzz ({@link RequestFuzz}) of a running user-service over Netty on real PostgreSQL: for
 * every method, random bytes and mutations of well-formed requests, as admin. Every answer must be a deliberate
 * status, never UNKNOWN or INTERNAL.
 */
class RequestFuzzIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  @Test
  void randomBytesToEveryMethodGetAProperStatus() {
    Map<String, Map<Status.Code, Integer>> seen = RequestFuzz.of(UserServiceGrpc.getServiceDescriptor(), wellFormed())
        .endless("SubscribeToUpdates").run(users.channel(), users.tokens().admin(1));

    assertThat(seen).as("every method was called").hasSize(7);
    assertThat(seen.values().stream().mapToInt(m -> m.getOrDefault(Status.Code.INVALID_ARGUMENT, 0)).sum())
        .as("the fuzz reached validation").isPositive();
  }

  private static Map<String, List<byte[]>> wellFormed() {
    CreateUserRequest create = CreateUserRequest.newBuilder().setEmail("fuzz@example.com").setName("Fuzz")
        .addRoles("user").build();
    return Map.of(
        "GetUser", List.of(GetUserRequest.newBuilder().setId(123456).build().toByteArray()),
        "ListUsers", List.of(ListUsersRequest.newBuilder().setPageSize(5).setFilter("name : \"Fuzz\" AND role = \"user\"")
            .build().toByteArray()),
        "CreateUser", List.of(create.toByteArray()),
        "UpdateUser", List.of(UpdateUserRequest.newBuilder().setId(123456)
            .setUser(User.newBuilder().setName("New").setEmail("new@example.com"))
            .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("name").addPaths("email"))
            .build().toByteArray()),
        "DeleteUser", List.of(dev.trellis.user.v1.DeleteUserRequest.newBuilder().setId(123456).build().toByteArray()),
        "SubscribeToUpdates", List.of(SubscribeRequest.newBuilder().addUserIds(1).addUserIds(2).build().toByteArray()),
        "ImportUsers", List.of(create.toByteArray()));
  }
}
