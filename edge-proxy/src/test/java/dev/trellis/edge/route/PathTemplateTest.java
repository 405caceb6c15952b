package dev.trellis.edge.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PathTemplateTest {
  private static Optional<Map<String, String>> match(String template, String path, String verb) {
    return PathTemplate.parse(template).match(List.of(path.substring(1).split("/", -1)), verb);
  }

  @Test
  void parsesVariablesWildcardsAndVerbs() {
    PathTemplate t = PathTemplate.parse("/v1/{book.name=shelves/*/books/*}:cancel");
    assertThat(t.verb()).isEqualTo("cancel");
    assertThat(t.variables()).containsExactly(new PathTemplate.Variable("book.name", 1, 5));
    assertThat(t.openApiPath()).isEqualTo("/v1/{book.name}:cancel");
    assertThat(PathTemplate.parse("/v1/users/{id}").openApiPath()).isEqualTo("/v1/users/{id}");
    assertThat(PathTemplate.parse("/v1/a/*/b/**").openApiPath()).isEqualTo("/v1/a/*/b/**");
  }

  @Test
  void refusesMalformedTemplates() {
    for (String bad : List.of("v1/users", "/v1//x", "/v1/{id", "/v1/{a={b}}", "/v1/**/x", "/v1/{}",
        "/v1/{id}/{id}", "/v1/x:")) {
      assertThatThrownBy(() -> PathTemplate.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void matchesSegmentsAndDecodesVariables() {
    assertThat(match("/v1/users/{id}", "/v1/users/42", null)).contains(Map.of("id", "42"));
    assertThat(match("/v1/users/{id}", "/v1/users/a%2Fb%20c", null)).as("one segment: fully decoded")
        .contains(Map.of("id", "a/b c"));
    assertThat(match("/v1/{name=shelves/*}", "/v1/shelves/a%2Fb", null)).as("several: %2F kept")
        .contains(Map.of("name", "shelves/a%2Fb"));
    assertThat(match("/v1/users/{id}", "/v1/users", null)).isEmpty();
    assertThat(match("/v1/users/{id}", "/v1/users/", null)).as("no empty segment for *").isEmpty();
    assertThat(match("/v1/users/{id}", "/v1/users/1/x", null)).isEmpty();
    assertThat(match("/v1/users/{id}", "/v1/users/1", "watch")).as("the verb must match").isEmpty();
    assertThat(match("/v1/orders/{id}:watch", "/v1/orders/7", "watch")).contains(Map.of("id", "7"));
  }

  @Test
  void doubleWildcardTakesZeroOrMoreSegments() {
    assertThat(match("/v1/files/{path=**}", "/v1/files/a/b/c", null)).contains(Map.of("path", "a/b/c"));
    assertThat(match("/v1/files/{path=**}", "/v1/files", null)).contains(Map.of("path", ""));
    assertThat(match("/v1/{name=books/**}", "/v1/books/x/y", null)).contains(Map.of("name", "books/x/y"));
  }

  @Test
  void decodeLeavesMalformedEscapesAlone() {
    assertThat(PathTemplate.decode("100%", true)).isEqualTo("100%");
    assertThat(PathTemplate.decode("%zz%41", true)).isEqualTo("%zzA");
    assertThat(PathTemplate.decode("%C3%A9", true)).isEqualTo("é");
  }
}
