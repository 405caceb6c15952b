package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.call.RequestTemplate;
import dev.trellis.bench.call.ValuePools;
import dev.trellis.bench.measure.Progress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * The bench's own HTTP load generator, for REST through the edge: varied paths and bodies from templates, weighted
 * mixes, NDJSON streams (each line a message), open or closed loop. JDK's HttpClient over HTTP/1.1, which is how
 * legacy REST callers come; statuses count as {@code HTTP <code>}, 2xx as success.
 */
public final class JavaHttpLoad implements Load {
  /**
   * One HTTP call of a mix.
   *
   * @param method GET, POST...
   * @param path the path template, such as {@code /v1/users/${user_id}}
   * @param body the body template (JSON), empty for none
   */
  public record HttpCall(String method, RequestTemplate path, RequestTemplate body, int weight) {
    public HttpCall {
      requireNonNull(method, "method");
      requireNonNull(path, "path");
      requireNonNull(body, "body");
    }

    String label() {
      return method + " " + path.text() + (body.text().isEmpty() ? "" : " " + body.text());
    }
  }

  private final LoadInfo info;
  private final URI base;
  private final WeightedPick<HttpCall> calls;
  private final ValuePools pools;
  private final LoadModel model;
  private final Optional<String> token;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client;

  private JavaHttpLoad(LoadInfo info, URI base, List<HttpCall> calls, ValuePools pools, LoadModel model,
      Optional<String> token) {
    this.info = info;
    this.base = base;
    this.calls = WeightedPick.of(calls, HttpCall::weight);
    this.pools = pools;
    this.model = model;
    this.token = token;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** A load of {@code calls} against {@code base} (such as {@code http://127.0.0.1:8080}). */
  public static JavaHttpLoad of(String name, URI base, List<HttpCall> calls, ValuePools pools, LoadModel model,
      Optional<String> token) {
    requireNonNull(base, "base");
    requireNonNull(pools, "pools");
    if (calls.isEmpty()) {
      throw new IllegalArgumentException("a load needs at least one call");
    }
    calls.forEach(c -> {
      c.path().checkAgainst(pools);
      c.body().checkAgainst(pools);
    });
    String work = WeightedPick.describe(calls, HttpCall::weight, HttpCall::label);
    LoadInfo info = new LoadInfo(name, "java-http", base.toString(), work, model.describe(), "", List.of(
        "JDK HttpClient (HTTP/1.1) in the bench's JVM; connections open as the calls in flight need them,"
            + " so --connections does not apply; NDJSON responses count a message per line"));
    return new JavaHttpLoad(info, base, List.copyOf(calls), pools, model, token);
  }

  @Override
  public LoadInfo info() {
    return info;
  }

  @Override
  public Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress)
      throws InterruptedException {
    return CallLoop.run(this::send, model, settle, duration, count, progress);
  }

  private void send(int slot, CallLoop.Completion done) {
    HttpCall call = calls.next();
    String body = call.body().render(pools);
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(call.path().render(pools)))
        .method(call.method(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (!body.isEmpty()) {
      request.header("content-type", "application/json");
    }
    token.ifPresent(t -> request.header("authorization", "Bearer " + t));
    client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) -> {
      if (error != null) {
        done.complete("no response", false, 0);
      } else {
        int code = response.statusCode();
        boolean ndjson = response.headers().firstValue("content-type").orElse("").contains("ndjson");
        done.complete("HTTP " + code, code >= 200 && code < 300, ndjson ? lines(response.body()) : 1);
      }
    });
  }

  private static long lines(byte[] body) {
    long lines = 0;
    for (byte b : body) {
      if (b == '\n') {
        lines++;
      }
    }
    return lines;
  }

  @Override
  public void close() {
    client.shutdownNow();
    executor.shutdownNow();
  }
}
