package dev.trellis.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.access.v1.AccessProto;
import dev.trellis.access.v1.MethodAccess;
import dev.trellis.access.v1.Role;
import dev.trellis.order.v1.InventoryServiceProto;
import dev.trellis.order.v1.OrderServiceProto;
import dev.trellis.user.v1.UserServiceProto;
import java.io.IOException;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The access declarations in the contracts: complete, checked, and what the services' rules expect. */
class MethodAccessTableTest {
  private final TrellisDescriptors descriptors = TrellisDescriptors.load();
  private final MethodAccessTable table = MethodAccessTable.of(descriptors);

  @Test
  void everyRpcOfEveryServiceIsDeclared() {
    int methods = 0;
    for (ServiceDescriptor service : descriptors.services()) {
      for (MethodDescriptor method : service.getMethods()) {
        methods++;
        assertThat(table.find(service.getFullName() + "/" + method.getName()))
            .as(method.getFullName()).isPresent();
      }
    }
    assertThat(table.all()).hasSize(methods).hasSize(15);
  }

  @Test
  void userServiceDeclarationsMatchTheUserAccessRules() {
    AccessDeclaration get = table.find("trellis.user.v1.UserService/GetUser").orElseThrow();
    assertThat(get.roles()).containsExactly("user", "admin");
    assertThat(get.ownerOnly()).isTrue();
    assertThat(get.ownerField()).contains("id");
    assertThat(get.services()).containsExactly("order-service");
    assertThat(get.allowsService("order-service")).isTrue();
    assertThat(get.allowsService("edge-proxy")).isFalse();
    assertThat(get.path()).isEqualTo("/trellis.user.v1.UserService/GetUser");
    for (String adminOnly : new String[] {"ListUsers", "CreateUser", "DeleteUser", "ImportUsers"}) {
      AccessDeclaration d = table.find("trellis.user.v1.UserService/" + adminOnly).orElseThrow();
      assertThat(d.roles()).as(adminOnly).containsExactly("admin");
      assertThat(d.services()).as(adminOnly).isEmpty();
    }
    assertThat(table.find("trellis.user.v1.UserService/SubscribeToUpdates").orElseThrow().ownerField())
        .contains("user_ids");
  }

  @Test
  void orderDeclarationsLetUsersTouchOnlyTheirOwnOrders() {
    for (AccessDeclaration d : table.ofService("trellis.order.v1.OrderService")) {
      assertThat(d.roles()).as(d.methodName()).containsExactly("user", "admin");
      assertThat(d.ownerOnly()).as(d.methodName()).isTrue();
      assertThat(d.services()).as(d.methodName()).isEmpty();
    }
    assertThat(table.find("trellis.order.v1.OrderService/CreateOrder").orElseThrow().ownerField())
        .contains("user_id");
    assertThat(table.find("trellis.order.v1.OrderService/GetOrder").orElseThrow().ownerField()).isEmpty();
    assertThat(table.find("trellis.order.v1.InventoryService/GetStock").orElseThrow().roles())
        .containsExactly("user", "admin");
    assertThat(table.find("trellis.order.v1.InventoryService/SetStock").orElseThrow().roles())
        .containsExactly("admin");
    assertThat(table.find("trellis.order.v1.OrderService/Nope")).isEmpty();
  }

  @Test
  void anRpcWithoutADeclarationFailsNamingIt() {
    TrellisDescriptors stripped = withDeleteUserOptions(options -> MethodOptions.getDefaultInstance());
    assertThatThrownBy(() -> MethodAccessTable.of(stripped))
        .hasMessageContaining("trellis.user.v1.UserService/DeleteUser has no (trellis.access.v1.access) option");
  }

  @Test
  void wrongDeclarationsFailNamingTheProblem() {
    assertThatThrownBy(() -> MethodAccessTable.of(withDeleteUserAccess(
        MethodAccess.newBuilder().addRoles(Role.ROLE_USER).setOwnerOnly(true).setOwnerField("owner").build())))
        .hasMessageContaining(
            "DeleteUser names owner_field owner, which trellis.user.v1.DeleteUserRequest does not have");
    assertThatThrownBy(() -> MethodAccessTable.of(withDeleteUserAccess(
        MethodAccess.newBuilder().addRoles(Role.ROLE_ADMIN).setOwnerOnly(true).build())))
        .hasMessageContaining("DeleteUser is owner_only but ROLE_USER may not call it");
    assertThatThrownBy(() -> MethodAccessTable.of(withDeleteUserAccess(MethodAccess.getDefaultInstance())))
        .hasMessageContaining("DeleteUser lets nobody call");
    assertThatThrownBy(() -> MethodAccessTable.of(withDeleteUserAccess(
        MethodAccess.newBuilder().addServices("Order_Service").build())))
        .hasMessageContaining("names the service 'Order_Service', which is not a service account name");
    assertThatThrownBy(() -> MethodAccessTable.of(withDeleteUserAccess(
        MethodAccess.newBuilder().addRoles(Role.ROLE_UNSPECIFIED).build())))
        .hasMessageContaining("declares the role ROLE_UNSPECIFIED");
  }

  @Test
  void theGeneratedStubsCarryTheDeclarationsOfTheDescriptorSet() {
    // What a server reads: the descriptors compiled into the stubs, not the packaged descriptor set.
    MethodAccessTable fromStubs = MethodAccessTable.of(List.of(
        UserServiceProto.getDescriptor().findServiceByName("UserService"),
        OrderServiceProto.getDescriptor().findServiceByName("OrderService"),
        InventoryServiceProto.getDescriptor().findServiceByName("InventoryService")));

    assertThat(fromStubs.all()).containsExactlyElementsOf(table.all());
    MethodDescriptor getUser = UserServiceProto.getDescriptor().findServiceByName("UserService")
        .findMethodByName("GetUser");
    assertThat(MethodAccessTable.declarationOf(getUser))
        .isEqualTo(table.find("trellis.user.v1.UserService/GetUser"));
    assertThat(MethodAccessTable.fullMethodName(getUser)).isEqualTo("trellis.user.v1.UserService/GetUser");
  }

  @Test
  void oneMethodWithoutADeclarationHasNoneAndAWrongOneFails() {
    ServiceDescriptor stripped = withDeleteUserOptions(options -> MethodOptions.getDefaultInstance())
        .service("trellis.user.v1.UserService").orElseThrow();
    assertThat(MethodAccessTable.declarationOf(stripped.findMethodByName("DeleteUser"))).isEmpty();
    ServiceDescriptor wrong = withDeleteUserAccess(MethodAccess.getDefaultInstance())
        .service("trellis.user.v1.UserService").orElseThrow();
    assertThatThrownBy(() -> MethodAccessTable.declarationOf(wrong.findMethodByName("DeleteUser")))
        .hasMessageContaining("DeleteUser lets nobody call");
  }

  @Test
  void claimValuesAreTheJwtRoleNames() {
    assertThat(MethodAccessTable.claimValue(Role.ROLE_USER)).isEqualTo("user");
    assertThat(MethodAccessTable.claimValue(Role.ROLE_ADMIN)).isEqualTo("admin");
  }

  private TrellisDescriptors withDeleteUserAccess(MethodAccess access) {
    return withDeleteUserOptions(
        options -> MethodOptions.newBuilder().setExtension(AccessProto.access, access).build());
  }

  /** The packaged contracts with the options of UserService.DeleteUser replaced. */
  private TrellisDescriptors withDeleteUserOptions(UnaryOperator<MethodOptions> change) {
    FileDescriptorSet.Builder set = descriptors.fileDescriptorSet().toBuilder();
    for (FileDescriptorProto.Builder file : set.getFileBuilderList()) {
      file.getServiceBuilderList().forEach(service -> {
        for (MethodDescriptorProto.Builder method : service.getMethodBuilderList()) {
          if (service.getName().equals("UserService") && method.getName().equals("DeleteUser")) {
            method.setOptions(change.apply(method.getOptions()));
          }
        }
      });
    }
    try {
      return TrellisDescriptors.fromBytes(set.build().toByteArray());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
