package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proto.MethodAccessTable;
import dev.trellis.testing.AccessProbe;
import dev.trellis.testing.AccessProbe.Attempt;
import dev.trellis.testing.ServiceExtension;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who may call each RPC of the real user-service, over Netty with real tokens: every RPC it serves is called with no
 * token, as a user, an admin, each service a contract names and a service none names. Each caller gets past the
 * chain's access step exactly when the RPC's declaration in user_service.proto names its role or service; the
 * others are refused before the handler (ACCESS_DENIED, or UNAUTHENTICATED without a token). Which users a caller
 * may then act on (object-level rules) is UserServiceIT's, SubscribeToUpdatesIT's and UserAccessRulesTest's.
 */
class UserServiceAccessIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  private static List<Attempt> attempts;

  @BeforeAll
  static void probe() {
    attempts = AccessProbe.callEveryMethod(users.replica().server(), users.channel(),
        AccessProbe.callers(users.tokens()));
  }

  @Test
  void everyRpcServedAdmitsExactlyTheCallersItsDeclarationNames() {
    assertThat(AccessProbe.problems(attempts, MethodAccessTable.load().ofService("trellis.user.v1.UserService")))
        .isEmpty();
  }

  @Test
  void orderServiceReadsAUserAndNothingElseWhileAUserIsKeptFromTheAdminRpcs() {
    assertThat(attempts).filteredOn(a -> a.caller().equals("order-service") && a.passedAccessStep())
        .extracting(Attempt::method).containsExactly("trellis.user.v1.UserService/GetUser");
    assertThat(attempts).filteredOn(a -> a.caller().equals("user") && !a.passedAccessStep())
        .extracting(Attempt::method).containsExactlyInAnyOrder(
            "trellis.user.v1.UserService/ListUsers", "trellis.user.v1.UserService/CreateUser",
            "trellis.user.v1.UserService/DeleteUser", "trellis.user.v1.UserService/ImportUsers");
    assertThat(attempts).filteredOn(a -> a.caller().equals(AccessProbe.UNDECLARED_SERVICE)
        || a.caller().equals(AccessProbe.ANONYMOUS)).isNotEmpty().noneMatch(Attempt::passedAccessStep);
  }
}
