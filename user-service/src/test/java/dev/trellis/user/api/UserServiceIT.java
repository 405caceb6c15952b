package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.detail;
import static dev.trellis.user.api.Errors.badFields;
import static dev.trellis.user.api.Errors.code;
import static dev.trellis.user.api.Errors.failure;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ServiceExtension;
import com.google.protobuf.FieldMask;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import dev.trellis.testing.FirstResponse;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.DeleteUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import dev.trellis.user.v1.UserServiceGrpc;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every unary RPC of UserService over Netty on 4 embedded shards: behaviour, authorization and validation. */
class UserServiceIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");
  private final UserServiceBlockingStub admin = blocking(users.tokens().admin(1));

  private static UserServiceBlockingStub blocking(String token) {
    return users.stub(UserServiceGrpc::newBlockingStub, token).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private User create(String name, String... roles) {
    return admin.createUser(CreateUserRequest.newBuilder()
        .setEmail(UUID.randomUUID() + "@example.com").setName(name).addAllRoles(List.of(roles)).build());
  }

  private static UserServiceBlockingStub as(User user) {
    return blocking(users.tokens().user(user.getId()));
  }

  @Test
  void createThenGetReturnsTheSameUserWithServerFields() {
    long before = Instant.now().getEpochSecond();
    User created = create("Ada Lovelace", "admin", "user");

    assertThat(created.getId()).isPositive();
    assertThat(created.getRolesList()).containsExactly("admin", "user");
    assertThat(created.getCreatedAt()).isBetween(before, Instant.now().getEpochSecond());
    assertThat(created.getUpdatedAt()).isEqualTo(created.getCreatedAt());
    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(created.getId()).build())).isEqualTo(created);
  }

  @Test
  void unicodeNamesComeBackByteExact() {
    String name = "Zoë Ångström 山田太郎 🧪 e\u0301";
    User created = create(name);

    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(created.getId()).build()).getName())
        .isEqualTo(name);
  }

  @Test
  void userReadsItselfButNotOthers() {
    User me = create("Me");
    User other = create("Other");

    assertThat(as(me).getUser(GetUserRequest.newBuilder().setId(me.getId()).build())).isEqualTo(me);
    assertThat(code(() -> as(me).getUser(GetUserRequest.newBuilder().setId(other.getId()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void serviceMayReadAnyUserButNotCreate() {
    User user = create("Read by a service");
    UserServiceBlockingStub service = blocking(users.tokens().service("order-service"));

    assertThat(service.getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user);
    assertThat(code(() -> service.createUser(CreateUserRequest.newBuilder().setEmail("s@example.com").setName("S")
        .build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void callsWithoutATokenAreUnauthenticated() {
    var anonymous = UserServiceGrpc.newBlockingStub(users.channel());
    assertThat(code(() -> anonymous.getUser(GetUserRequest.newBuilder().setId(1).build())))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void onlyAdminsCreateAndDelete() {
    User user = create("Plain user");

    assertThat(code(() -> as(user).createUser(CreateUserRequest.newBuilder().setEmail("x@example.com")
        .setName("X").build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> as(user).deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void anIdNeverIssuedIsNotFoundWithResourceInfo() {
    StatusRuntimeException e = failure(() -> admin.getUser(GetUserRequest.newBuilder().setId(Long.MAX_VALUE).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(detail(e, ResourceInfo.class).getResourceName()).isEqualTo("users/" + Long.MAX_VALUE);
    assertThat(detail(e, ResourceInfo.class).getResourceType()).isEqualTo("trellis.user.v1.User");
  }

  @Test
  void idsMustBePositive() {
    assertThat(badFields(() -> admin.getUser(GetUserRequest.newBuilder().setId(0).build()))).containsExactly("id");
    assertThat(badFields(() -> admin.deleteUser(DeleteUserRequest.newBuilder().setId(-5).build())))
        .containsExactly("id");
  }

  @Test
  void createReportsEveryBadField() {
    assertThat(badFields(() -> admin.createUser(CreateUserRequest.newBuilder()
        .setEmail("not an email").setName("").addRoles("root").build())))
        .containsExactly("email", "name", "roles[0]");
    assertThat(badFields(() -> admin.createUser(CreateUserRequest.newBuilder()
        .setEmail("a@example.com").setName("x".repeat(201)).build())))
        .containsExactly("name");
  }

  @Test
  void aTakenEmailIsAlreadyExistsWhateverItsCase() {
    User user = create("First");
    StatusRuntimeException e = failure(() -> admin.createUser(CreateUserRequest.newBuilder()
        .setEmail(user.getEmail().toUpperCase()).setName("Second").build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(detail(e, ErrorInfo.class).getReason()).isEqualTo("ALREADY_EXISTS");
    assertThat(e.getStatus().getDescription()).doesNotContain("SQL", "duplicate", "jdbc", "Exception");
  }

  @Test
  void updateChangesOnlyTheMaskedFields() {
    User user = create("Before", "user");
    User updated = admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("After").setEmail("ignored-not-an-email"))
        .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());

    assertThat(updated.getName()).isEqualTo("After");
    assertThat(updated.getEmail()).isEqualTo(user.getEmail());
    assertThat(updated.getRolesList()).containsExactly("user");
    assertThat(updated.getUpdatedAt()).isGreaterThanOrEqualTo(user.getUpdatedAt());
  }

  @Test
  void anEmptyMaskUpdatesThePopulatedFieldsAndStarUpdatesAll() {
    User user = create("Masked", "admin");
    User viaPopulated = admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("Populated")).build());
    assertThat(viaPopulated.getName()).isEqualTo("Populated");
    assertThat(viaPopulated.getRolesList()).containsExactly("admin");

    String email = UUID.randomUUID() + "@example.org";
    User viaStar = admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("Star").setEmail(email))
        .setUpdateMask(FieldMask.newBuilder().addPaths("*")).build());
    assertThat(viaStar.getEmail()).isEqualTo(email);
    assertThat(viaStar.getRolesList()).as("* with no roles resets them to the default").containsExactly("user");
  }

  @Test
  void unknownAndImmutablePathsAreInvalid() {
    User user = create("Paths");
    assertThat(badFields(() -> admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setId(99)).setUpdateMask(FieldMask.newBuilder().addPaths("id")).build())))
        .containsExactly("update_mask");
    assertThat(badFields(() -> admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUpdateMask(FieldMask.newBuilder().addPaths("created_at").addPaths("nickname")).build())))
        .containsExactly("update_mask", "update_mask");
  }

  @Test
  void aUserUpdatesItsOwnNameButNotItsRolesNorOthers() {
    User me = create("Self", "user");
    User other = create("Someone else");

    User renamed = as(me).updateUser(UpdateUserRequest.newBuilder().setId(me.getId())
        .setUser(User.newBuilder().setName("Self renamed"))
        .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
    assertThat(renamed.getName()).isEqualTo("Self renamed");
    assertThat(code(() -> as(me).updateUser(UpdateUserRequest.newBuilder().setId(me.getId())
        .setUser(User.newBuilder().addRoles("admin")).setUpdateMask(FieldMask.newBuilder().addPaths("roles"))
        .build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> as(me).updateUser(UpdateUserRequest.newBuilder().setId(other.getId())
        .setUser(User.newBuilder().setName("Hijacked")).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
        .build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(me.getId()).build()).getRolesList())
        .containsExactly("user");
  }

  @Test
  void aUserMayReplaceItselfWholeWhenItsRolesStayAsTheyAre() {
    User me = create("Whole", "user");
    User replaced = as(me).updateUser(UpdateUserRequest.newBuilder().setId(me.getId())
        .setUser(me.toBuilder().setName("Whole again")).setUpdateMask(FieldMask.newBuilder().addPaths("*")).build());
    assertThat(replaced.getName()).isEqualTo("Whole again");
    assertThat(replaced.getRolesList()).containsExactly("user");
    assertThat(code(() -> as(me).updateUser(UpdateUserRequest.newBuilder().setId(me.getId())
        .setUser(me.toBuilder().addRoles("admin")).setUpdateMask(FieldMask.newBuilder().addPaths("*")).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void changingEmailKeepsItUniqueAndFreesTheOldOne() {
    User a = create("A");
    User b = create("B");
    String oldEmail = a.getEmail();

    assertThat(code(() -> admin.updateUser(UpdateUserRequest.newBuilder().setId(a.getId())
        .setUser(User.newBuilder().setEmail(b.getEmail())).setUpdateMask(FieldMask.newBuilder().addPaths("email"))
        .build()))).isEqualTo(Status.Code.ALREADY_EXISTS);
    String newEmail = UUID.randomUUID() + "@example.net";
    admin.updateUser(UpdateUserRequest.newBuilder().setId(a.getId())
        .setUser(User.newBuilder().setEmail(newEmail)).setUpdateMask(FieldMask.newBuilder().addPaths("email"))
        .build());

    User reuse = admin.createUser(CreateUserRequest.newBuilder().setEmail(oldEmail).setName("Reuse").build());
    assertThat(reuse.getEmail()).isEqualTo(oldEmail);
  }

  @Test
  void aUserMayTryOnlyAFewEmailChangesAnHourSoItCannotProbeWhichEmailsAreRegistered() {
    User me = create("Prober");
    User taken = create("Holder");
    UpdateUserRequest.Builder probe = UpdateUserRequest.newBuilder().setId(me.getId())
        .setUpdateMask(FieldMask.newBuilder().addPaths("email"));
    for (int i = 0; i < 5; i++) {
      StatusRuntimeException e = failure(() -> as(me).updateUser(probe.setUser(User.newBuilder()
          .setEmail(taken.getEmail())).build()));
      assertThat(e.getStatus().getCode()).as("try %d", i).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(e.getStatus().getDescription()).as("names only the email it was sent")
          .doesNotContain(Long.toString(taken.getId()), "Holder");
    }

    StatusRuntimeException limited = failure(() -> as(me).updateUser(probe.setUser(User.newBuilder()
        .setEmail(UUID.randomUUID() + "@example.org")).build()));

    assertThat(limited.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(limited.getStatus().getDescription()).isEqualTo("too many email changes; retry later");
    assertThat(detail(limited, com.google.rpc.RetryInfo.class).getRetryDelay().getSeconds())
        .as("a token of 5 an hour refills in 12 minutes").isBetween(12L * 60, 15L * 60);
    assertThat(as(me).updateUser(UpdateUserRequest.newBuilder().setId(me.getId())
        .setUser(User.newBuilder().setName("Renamed")).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
        .build()).getName()).as("renaming is not an email change").isEqualTo("Renamed");
    assertThat(admin.updateUser(probe.setUser(User.newBuilder().setEmail(UUID.randomUUID() + "@example.org"))
        .build()).getEmail()).as("admins are not limited").endsWith("@example.org");
  }

  @Test
  void updatingAMissingUserIsNotFound() {
    assertThat(code(() -> admin.updateUser(UpdateUserRequest.newBuilder().setId(Long.MAX_VALUE - 7)
        .setUser(User.newBuilder().setName("Ghost")).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
        .build()))).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void deleteRemovesTheUserAndFreesItsEmail() {
    User user = create("Doomed");
    admin.deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());

    assertThat(code(() -> admin.getUser(GetUserRequest.newBuilder().setId(user.getId()).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> admin.deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(admin.createUser(CreateUserRequest.newBuilder().setEmail(user.getEmail()).setName("Again").build())
        .getEmail()).isEqualTo(user.getEmail());
  }

  @Test
  void reflectionListsTheUserService() {
    var channel = NettyChannelBuilder.forAddress("127.0.0.1", users.port()).usePlaintext()
        .build();
    try {
      var stub = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel);
      var answer = new FirstResponse<io.grpc.reflection.v1.ServerReflectionResponse>();
      var requests = stub.serverReflectionInfo(answer);
      requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
      List<String> names = answer.future().join().getListServicesResponse().getServiceList().stream()
          .map(io.grpc.reflection.v1.ServiceResponse::getName).toList();
      assertThat(names).contains("trellis.user.v1.UserService", "grpc.health.v1.Health");
      requests.onCompleted();
    } finally {
      channel.shutdownNow();
    }
  }
}
