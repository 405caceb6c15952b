package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.auth.AccessInterceptor;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.testing.AccessProbe.Attempt;
import dev.trellis.testing.AccessProbe.Caller;
import dev.trellis.testing.AccessProbe.Expected;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The probe's verdicts: it must catch an access step that lets through, or keeps out, the wrong callers. */
class AccessProbeTest {
  private static final String GET = "trellis.test.v1.Things/Get";
  private static final String PUT = "trellis.test.v1.Things/Put";
  private static final AccessDeclaration USERS_AND_A_SERVICE =
      new AccessDeclaration(GET, List.of("user"), false, Optional.empty(), List.of("order-service"));
  private static final AccessDeclaration ADMINS =
      new AccessDeclaration(PUT, List.of("admin"), false, Optional.empty(), List.of());

  @Test
  void aCallerIsExpectedThroughOnlyWhenItsRoleOrServiceIsDeclaredAndNeverWithoutAToken() {
    assertThat(Caller.withRole("user", "t").expectedAt(USERS_AND_A_SERVICE)).isEqualTo(Expected.PASSES_ACCESS_STEP);
    assertThat(Caller.withRole("admin", "t").expectedAt(USERS_AND_A_SERVICE)).isEqualTo(Expected.ACCESS_DENIED);
    assertThat(Caller.service("order-service", "t").expectedAt(USERS_AND_A_SERVICE))
        .isEqualTo(Expected.PASSES_ACCESS_STEP);
    assertThat(Caller.service("stranger-service", "t").expectedAt(USERS_AND_A_SERVICE))
        .isEqualTo(Expected.ACCESS_DENIED);
    assertThat(Caller.anonymous().expectedAt(USERS_AND_A_SERVICE)).isEqualTo(Expected.UNAUTHENTICATED);
  }

  @Test
  void aProbeAsDeclaredHasNoProblems() {
    List<Attempt> attempts = List.of(
        new Attempt(GET, "user", Expected.PASSES_ACCESS_STEP, Status.INVALID_ARGUMENT, "", Map.of()),
        denied(GET, "admin"),
        new Attempt(GET, AccessProbe.ANONYMOUS, Expected.UNAUTHENTICATED, Status.UNAUTHENTICATED, "", Map.of()),
        new Attempt(PUT, "admin", Expected.PASSES_ACCESS_STEP, Status.OK, "", Map.of()),
        denied(PUT, "user"));

    assertThat(AccessProbe.problems(attempts, List.of(USERS_AND_A_SERVICE, ADMINS))).isEmpty();
  }

  @Test
  void aCallerLetThroughOrKeptOutAgainstItsDeclarationIsAProblem() {
    List<Attempt> attempts = List.of(
        new Attempt(GET, "user", Expected.PASSES_ACCESS_STEP, Status.INVALID_ARGUMENT, "", Map.of()),
        new Attempt(GET, "admin", Expected.ACCESS_DENIED, Status.INVALID_ARGUMENT, "", Map.of()),
        new Attempt(PUT, "admin", Expected.PASSES_ACCESS_STEP, Status.PERMISSION_DENIED,
            AccessInterceptor.ACCESS_DENIED, Map.of("method", PUT)),
        new Attempt(PUT, "user", Expected.ACCESS_DENIED, Status.PERMISSION_DENIED, "NOT_YOURS", Map.of()));

    assertThat(AccessProbe.problems(attempts, List.of(USERS_AND_A_SERVICE, ADMINS))).containsExactly(
        "admin calling " + GET + " (expected ACCESS_DENIED): INVALID_ARGUMENT null",
        "admin calling " + PUT + " (expected PASSES_ACCESS_STEP): PERMISSION_DENIED ACCESS_DENIED null",
        "user calling " + PUT + " (expected ACCESS_DENIED): PERMISSION_DENIED NOT_YOURS null");
  }

  @Test
  void aDeclaredRpcNotCalledOneNobodyGotToCallAndAnUndeclaredOneServedAreProblems() {
    List<Attempt> attempts = List.of(denied(PUT, "user"));

    assertThat(AccessProbe.problems(attempts, List.of(USERS_AND_A_SERVICE))).containsExactlyInAnyOrder(
        PUT + " is served but not declared in the contracts probed",
        GET + " was never called: the server does not serve it");
    assertThat(AccessProbe.problems(attempts, List.of(ADMINS)))
        .containsExactly(PUT + ": no caller got past the access step");
  }

  private static Attempt denied(String method, String caller) {
    return new Attempt(method, caller, Expected.ACCESS_DENIED, Status.PERMISSION_DENIED,
        AccessInterceptor.ACCESS_DENIED, Map.of("method", method));
  }
}
