package dev.trellis.bench.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The prebuilt frame h2load posts decodes back to the request the JSON template describes. */
class GrpcFrameTest {
  private static final GrpcMethods METHODS = GrpcMethods.packaged();

  @Test
  void aFrameBuiltFromAJsonTemplateDecodesBackToTheRequest() throws Exception {
    MethodDescriptor getUser = METHODS.resolve("UserService/GetUser");
    GrpcRequests requests = GrpcRequests.of(getUser, RequestTemplate.of("{\"id\":\"${user_id}\"}"),
        ValuePools.of(Map.of("user_id", List.of("252821921530384385"))));

    byte[] frame = GrpcFrame.of(requests.representative());

    assertThat(frame[0]).isZero(); // not compressed
    assertThat(frame.length).isEqualTo(5 + requests.representative().length);
    GetUserRequest decoded = GetUserRequest.parseFrom(GrpcFrame.messageOf(frame));
    assertThat(decoded).isEqualTo(GetUserRequest.newBuilder().setId(252821921530384385L).build());
    DynamicMessage.Builder fromJson = DynamicMessage.newBuilder(getUser.getInputType());
    JsonFormat.parser().merge("{\"id\":\"252821921530384385\"}", fromJson);
    assertThat(DynamicMessage.parseFrom(getUser.getInputType(), GrpcFrame.messageOf(frame)))
        .isEqualTo(fromJson.build());
    assertThat(requests.toJson(requests.representative())).isEqualTo("{\"id\":\"252821921530384385\"}");
  }

  @Test
  void theLengthPrefixIsBigEndian() {
    byte[] message = new byte[300];
    byte[] frame = GrpcFrame.of(message);
    assertThat(new byte[] {frame[0], frame[1], frame[2], frame[3], frame[4]})
        .containsExactly(0, 0, 0, 1, 44); // 300 = 0x012C
    assertThat(GrpcFrame.messageOf(frame)).hasSize(300);
  }

  @Test
  void malformedFramesAreRefused() {
    assertThatThrownBy(() -> GrpcFrame.messageOf(new byte[] {0, 0, 0}))
        .hasMessageContaining("at least 5 bytes");
    assertThatThrownBy(() -> GrpcFrame.messageOf(new byte[] {1, 0, 0, 0, 0}))
        .hasMessageContaining("compressed");
    assertThatThrownBy(() -> GrpcFrame.messageOf(new byte[] {0, 0, 0, 0, 9, 1}))
        .hasMessageContaining("says 9 bytes, holds 1");
  }

  @Test
  void requestsDrawEveryPoolValueAndRenderGeneratorsPerCall() throws Exception {
    MethodDescriptor getUser = METHODS.resolve("GetUser");
    GrpcRequests pooled = GrpcRequests.of(getUser, RequestTemplate.of("{\"id\":\"${id}\"}"),
        ValuePools.of(Map.of("id", List.of("1", "2", "3"))));
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      seen.add(GetUserRequest.parseFrom(pooled.next()).getId());
    }
    assertThat(seen).containsExactlyInAnyOrder(1L, 2L, 3L);

    MethodDescriptor list = METHODS.resolve("trellis.user.v1.UserService/ListUsers");
    GrpcRequests generated = GrpcRequests.of(list, RequestTemplate.of("{\"filter\":\"name : \\\"u${seq}\\\"\"}"),
        ValuePools.empty());
    assertThat(ListUsersRequest.parseFrom(generated.next()).getFilter())
        .isNotEqualTo(ListUsersRequest.parseFrom(generated.next()).getFilter());
  }

  @Test
  void aTemplateThatIsNotTheInputTypeSaysWhich() {
    MethodDescriptor getUser = METHODS.resolve("GetUser");
    assertThatThrownBy(() -> GrpcRequests.of(getUser, RequestTemplate.of("{\"idd\":\"1\"}"), ValuePools.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("trellis.user.v1.GetUserRequest")
        .hasMessageContaining("idd");
    assertThatThrownBy(() -> GrpcRequests.of(getUser, RequestTemplate.of("{\"id\":\"${nope}\"}"),
        ValuePools.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--pool nope=");
  }

  @Test
  void methodNamesResolveFullShortOrBareAndAmbiguityIsNamed() {
    assertThat(GrpcMethods.fullName(METHODS.resolve("trellis.user.v1.UserService/GetUser")))
        .isEqualTo("trellis.user.v1.UserService/GetUser");
    assertThat(GrpcMethods.fullName(METHODS.resolve("SimpleService/UnaryRpc")))
        .isEqualTo("grpc.testing.SimpleService/UnaryRpc");
    assertThatThrownBy(() -> METHODS.resolve("NoSuchMethod"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no gRPC method 'NoSuchMethod'");
  }
}
