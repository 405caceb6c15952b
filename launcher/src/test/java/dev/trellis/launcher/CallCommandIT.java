package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.testing.ServiceExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ./trellis call} against the real user-service (started by name, never imported): JSON in, JSON out through
 * reflection, for every call kind, with dev tokens of the role asked for, and failures as status plus google.rpc
 * details.
 */
class CallCommandIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  /** What one call printed and returned. */
  private record Result(int exit, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }

    List<JsonNode> messages() throws IOException {
      List<JsonNode> all = new ArrayList<>();
      JSON.readerFor(JsonNode.class).readValues(out).forEachRemaining(n -> all.add((JsonNode) n));
      return all;
    }
  }

  private static Result call(String stdin, String... args) {
    List<String> all = new ArrayList<>(List.of("--target", "127.0.0.1:" + users.port(),
        "--state-dir", users.tokens().authConfig().devKeyFile().getParent().toString()));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = CallCommand.parse(all.toArray(String[]::new), Settings.of(Map.of()))
        .run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aUnaryCallTakesAndPrintsJson() throws IOException {
    Result created = call("", "trellis.user.v1.UserService/CreateUser",
        "{\"email\":\"call-ada@example.com\",\"name\":\"Ada Lovelace\"}");
    assertThat(created.exit()).as(created.err()).isZero();
    String id = created.json().get("id").asText();

    Result got = call("", "user-service/GetUser", "{\"id\":\"" + id + "\"}");
    assertThat(got.exit()).isZero();
    assertThat(got.json().get("name").asText()).isEqualTo("Ada Lovelace");
    assertThat(got.json().get("email").asText()).isEqualTo("call-ada@example.com");
  }

  @Test
  void aFailurePrintsItsStatusAndDetailsAndExitsNonZero() throws IOException {
    Result invalid = call("", "user-service/CreateUser", "{\"email\":\"not an email\",\"name\":\"\"}");

    assertThat(invalid.exit()).isEqualTo(CallCommand.CALL_FAILED);
    assertThat(invalid.out()).isEmpty();
    assertThat(invalid.err()).startsWith("trellis: INVALID_ARGUMENT: ");
    String details = invalid.err().substring(invalid.err().indexOf('\n') + 1);
    JsonNode status = JSON.readTree(details);
    assertThat(status.get("details").findValuesAsText("@type"))
        .contains("type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.BadRequest");
    assertThat(status.get("details").findValuesAsText("field")).containsExactly("email", "name");
  }

  @Test
  void theRoleAndSubjectOfTheTokenAreTheCallersChoice() throws IOException {
    String id = call("", "user-service/CreateUser", "{\"email\":\"call-me@example.com\",\"name\":\"Me\"}")
        .json().get("id").asText();

    Result own = call("", "--role", "user", "--sub", id, "user-service/GetUser", "{\"id\":\"" + id + "\"}");
    Result other = call("", "--role=user", "--sub=999", "user-service/GetUser", "{\"id\":\"" + id + "\"}");
    Result asService = call("", "--role", "service", "--sub", "order-service", "user-service/CreateUser",
        "{\"email\":\"x@example.com\",\"name\":\"X\"}");
    Result readAsOrderService = call("", "--role", "service", "user-service/GetUser", "{\"id\":\"" + id + "\"}");
    Result readAsStranger =
        call("", "--role", "service", "--sub", "stranger-service", "user-service/GetUser", "{\"id\":\"" + id + "\"}");

    assertThat(own.exit()).isZero();
    assertThat(other.err()).startsWith("trellis: PERMISSION_DENIED");
    assertThat(asService.err()).startsWith("trellis: PERMISSION_DENIED").contains("ACCESS_DENIED");
    assertThat(readAsOrderService.exit()).as("--role service is order-service, which may read users: "
        + readAsOrderService.err()).isZero();
    assertThat(readAsOrderService.json().get("id").asText()).isEqualTo(id);
    assertThat(readAsStranger.err()).startsWith("trellis: PERMISSION_DENIED").contains("ACCESS_DENIED");
  }

  @Test
  void serverStreamsPrintEveryMessageAndTheTrailersGoToStderr() throws IOException {
    for (int i = 0; i < 3; i++) {
      call("", "user-service/CreateUser", "{\"email\":\"stream" + i + "@example.com\",\"name\":\"Streamed " + i + "\"}");
    }

    Result page = call("", "user-service/ListUsers", "{\"filter\":\"name : \\\"Streamed\\\"\",\"page_size\":2}");

    assertThat(page.exit()).as(page.err()).isZero();
    assertThat(page.messages()).extracting(m -> m.get("name").asText()).hasSize(2).allMatch(n -> n.startsWith("Streamed"));
    assertThat(page.err()).contains("x-next-page-token: ");
  }

  @Test
  void clientStreamsReadOneJsonMessagePerLineFromStdin() throws IOException {
    String items = """
        {"email":"import-1@example.com","name":"Imported 1"}
        {"email":"bad","name":"Imported 2"}
        """;

    Result imported = call(items, "-d", "@-", "user-service/ImportUsers");

    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(imported.json().get("createdCount").asInt()).isEqualTo(1);
    assertThat(imported.json().get("errors").get(0).get("index").asInt()).isEqualTo(1);
  }

  @Test
  void withoutAMethodItListsTheMethods() {
    Result methods = call("", "user-service");

    assertThat(methods.exit()).isZero();
    assertThat(methods.out()).contains("trellis.user.v1.UserService/GetUser   (unary)",
        "trellis.user.v1.UserService/ListUsers   (server streaming)",
        "trellis.user.v1.UserService/ImportUsers   (client streaming)")
        .doesNotContain("grpc.health");
  }

  @Test
  void wrongCommandLinesSayWhatIsExpected() {
    assertThatThrownBy(() -> call("", "user-service/NoSuchMethod", "{}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("has no method NoSuchMethod");
    assertThatThrownBy(() -> call("", "user-service/GetUser", "{\"id\": \"not a number\"}"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("the request is not a trellis.user.v1.GetUserRequest");
    assertThatThrownBy(() -> CallCommand.parse(new String[] {"--colour", "user-service/GetUser"},
        Settings.of(Map.of()))).isInstanceOf(ConfigException.class).hasMessageContaining("unknown flag --colour");
    assertThatThrownBy(() -> CallCommand.parse(new String[] {"--role", "root", "user-service/GetUser"},
        Settings.of(Map.of()))).hasMessage("--role must be user, admin or service, got 'root'");
  }

  @Test
  void aServiceThatIsNotRunningIsOneClearLine() {
    assertThatThrownBy(() -> CallCommand.parse(new String[] {"--target", "127.0.0.1:1", "user-service/GetUser"},
        Settings.of(Map.of())).run(new ByteArrayInputStream(new byte[0]), System.out, System.err))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cannot reach user-service at 127.0.0.1:1 (is ./trellis up running? another address:"
            + " --target HOST:PORT)");
  }
}
