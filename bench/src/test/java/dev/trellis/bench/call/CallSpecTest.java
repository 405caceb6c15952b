package dev.trellis.bench.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallSpecTest {
  @Test
  void aGrpcCallIsAMethodAndAJsonTemplateWithAnOptionalWeight() {
    CallSpec plain = CallSpec.parse("trellis.user.v1.UserService/GetUser {\"id\": \"${user_id}\"}");
    assertThat(plain).isEqualTo(new CallSpec(1, CallSpec.Protocol.GRPC, "trellis.user.v1.UserService/GetUser", "",
        "{\"id\": \"${user_id}\"}"));
    CallSpec weighted = CallSpec.parse("9*GetUser");
    assertThat(weighted.weight()).isEqualTo(9);
    assertThat(weighted.body()).isEqualTo("{}");
  }

  @Test
  void anHttpCallIsAMethodAPathAndAnOptionalBody() {
    assertThat(CallSpec.parse("GET /v1/users/${user_id}")).isEqualTo(new CallSpec(1, CallSpec.Protocol.HTTP,
        "/v1/users/${user_id}", "GET", ""));
    CallSpec post = CallSpec.parse("2 * post /v1/users {\"email\": \"b${seq}@x.org\", \"name\": \"B\"}");
    assertThat(post.httpMethod()).isEqualTo("POST");
    assertThat(post.weight()).isEqualTo(2);
    assertThat(post.body()).isEqualTo("{\"email\": \"b${seq}@x.org\", \"name\": \"B\"}");
    assertThat(post.label()).isEqualTo("POST /v1/users");
  }

  @Test
  void malformedCallsAreRefusedWithTheirText() {
    assertThatThrownBy(() -> CallSpec.parse("GET v1/users")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("METHOD /path");
    assertThatThrownBy(() -> CallSpec.parse("/v1/users")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("GET /path");
    assertThatThrownBy(() -> CallSpec.parse("0*GetUser")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("weight");
  }

  @Test
  void templatesReplaceEveryPlaceholderAndKnowWhetherTheyCanBeMadeAhead() {
    RequestTemplate template = RequestTemplate.of("{\"a\":\"${x}\",\"b\":\"${x}-${y}\"}");
    assertThat(template.placeholders()).containsExactly("x", "y");
    assertThat(template.render(name -> name.toUpperCase())).isEqualTo("{\"a\":\"X\",\"b\":\"X-Y\"}");
    assertThat(template.reusable()).isTrue();
    assertThat(RequestTemplate.of("u${seq}@x").reusable()).isFalse();
    ValuePools pools = ValuePools.of(Map.of("x", List.of("1")));
    assertThatThrownBy(() -> template.checkAgainst(pools)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("${y}");
    assertThat(pools.draw("seq")).isEqualTo("1");
    assertThat(pools.draw("seq")).isEqualTo("2");
    assertThatThrownBy(() -> ValuePools.of(Map.of("seq", List.of("1")))).hasMessageContaining("reserved");
  }
}
