package dev.trellis.edge.transcode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonSequenceSplitterTest {
  private static List<String> split(String body, int chunk) {
    JsonSequenceSplitter splitter = new JsonSequenceSplitter(1024);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += chunk) {
      byte[] part = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + chunk));
      values.addAll(splitter.feed(part));
    }
    values.addAll(splitter.finish());
    return values;
  }

  @Test
  void arrayElementsComeOutWhole() {
    String body = " [ {\"a\":1}, {\"b\":[1,{\"c\":\"]}\"}]} ,{\"é\":\"ü\"} ] ";
    for (int chunk : new int[] {1, 2, 3, 7, 1000}) {
      assertThat(split(body, chunk)).as("chunks of %d bytes", chunk)
          .containsExactly("{\"a\":1}", "{\"b\":[1,{\"c\":\"]}\"}]}", "{\"é\":\"ü\"}");
    }
  }

  @Test
  void ndjsonValuesComeOutWhole() {
    String body = "{\"n\":1}\n{\"n\":2}\r\n\n{\"n\":3}";
    for (int chunk : new int[] {1, 5, 1000}) {
      assertThat(split(body, chunk)).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
    }
  }

  @Test
  void emptyBodiesHaveNoValues() {
    assertThat(split("[]", 1)).isEmpty();
    assertThat(split("", 1)).isEmpty();
    assertThat(split("  \n", 1)).isEmpty();
  }

  @Test
  void brokenBodiesAreInvalidJson() {
    assertThatThrownBy(() -> split("[{\"n\":1},{\"n\":", 3)).isInstanceOf(EdgeError.class)
        .hasMessageContaining("ends in the middle");
    assertThatThrownBy(() -> split("[{\"n\":1}", 3)).isInstanceOf(EdgeError.class);
    assertThatThrownBy(() -> split("[{\"n\" 1}]", 3)).isInstanceOf(EdgeError.class)
        .hasMessageContaining("not a JSON array or NDJSON");
    assertThatThrownBy(() -> split("[{\"n\":1}] {}", 3)).isInstanceOf(EdgeError.class)
        .hasMessageContaining("after the JSON array");
  }

  @Test
  void oneValueOverTheLimitIsTooLarge() {
    String big = "[{\"a\":\"" + "x".repeat(2000) + "\"}]";
    assertThatThrownBy(() -> split(big, 100)).isInstanceOf(EdgeError.class)
        .satisfies(e -> assertThat(((EdgeError) e).httpStatus()).isEqualTo(413));
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 1000; i++) {
      many.append(i == 0 ? "" : ",").append("{\"a\":\"").append("x".repeat(50)).append("\"}");
    }
    assertThat(split(many.append(']').toString(), 333)).hasSize(1000);
  }
}
