package dev.trellis.platform;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.NotFoundException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.stream.IntStream;
import java.util.concurrent.TimeUnit;

/**
 * grpc-testing's SimpleService with behaviour chosen by the request message, so one real service covers what
 * the chain must handle: identity, request ids, domain errors, bugs, and all four call kinds.
 */
public final class ScriptedService extends SimpleServiceGrpc.SimpleServiceImplBase {
  /** What a careless handler might put in an exception: it must never reach a client. */
  public static final String SECRET = "SELECT password_hash FROM users WHERE id = 7";

  /** Counted down when a "hang" call starts, and when its caller gives up on it (cancel or deadline). */
  public final CountDownLatch hangStarted = new CountDownLatch(1);
  public final CountDownLatch hangCancelled = new CountDownLatch(1);
  /** Released once per "answer-when-abandoned" call that has started. */
  public final Semaphore abandonable = new Semaphore(0);

  @Override
  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    String command = request.getRequestMessage();
    switch (command) {
      case "whoami" -> reply(responses, CallContext.currentPrincipal().map(Principal::subject).orElse("-"));
      case "request-id" -> reply(responses, CallContext.requestId().orElse("-"));
      case "deadline-ms" -> {
        Deadline deadline = Context.current().getDeadline();
        reply(responses, deadline == null ? "none" : Long.toString(deadline.timeRemaining(TimeUnit.MILLISECONDS)));
      }
      case "hang" -> {
        // Never answers; notices when the caller cancels or its deadline passes.
        Context.current().addListener(context -> hangCancelled.countDown(), Runnable::run);
        hangStarted.countDown();
      }
      case "answer-when-abandoned" -> {
        // Answers only once its caller has gone (cancel or deadline), as a handler stuck in I/O does.
        CountDownLatch abandoned = new CountDownLatch(1);
        Context.current().addListener(context -> abandoned.countDown(), Runnable::run);
        abandonable.release();
        try {
          abandoned.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        reply(responses, "too late");
      }
      case "admin-only" -> reply(responses, CallContext.requireRole(Principal.ADMIN).subject());
      case "throw-internal" -> throw new IllegalStateException(SECRET);
      case "on-error-internal" -> responses.onError(new IllegalStateException(SECRET));
      case "throw-not-found" -> throw new NotFoundException("trellis.user.v1.User", "users/7");
      case "on-error-not-found" -> responses.onError(new NotFoundException("trellis.user.v1.User", "users/7"));
      case "many-violations" -> throw new InvalidArgumentException(IntStream.range(0, 1000)
          .mapToObj(i -> new FieldViolation("update_mask.paths[" + i + "]", "unknown field '" + "x".repeat(300) + "'"))
          .toList());
      case "huge-status" -> responses.onError(Status.INVALID_ARGUMENT
          .withDescription("a handler's own words, " + "\u00e9".repeat(100_000)).asRuntimeException());
      case "status-aborted" ->
          responses.onError(Status.ABORTED.withDescription("deliberately aborted").asRuntimeException());
      default -> reply(responses, command);
    }
  }

  @Override
  public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    String command = request.getRequestMessage();
    obeyStreamed(command);
    responses.onNext(response(command + "-0"));
    if (command.equals("throw-after-first")) {
      throw new IllegalStateException(SECRET);
    }
    responses.onNext(response(command + "-1"));
    responses.onNext(response(command + "-2"));
    responses.onCompleted();
  }

  @Override
  public StreamObserver<SimpleRequest> clientStreamingRpc(StreamObserver<SimpleResponse> responses) {
    return new StreamObserver<>() {
      private int count;

      @Override
      public void onNext(SimpleRequest request) {
        obeyStreamed(request.getRequestMessage());
        count++;
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        reply(responses, "count=" + count);
      }
    };
  }

  @Override
  public StreamObserver<SimpleRequest> bidiStreamingRpc(StreamObserver<SimpleResponse> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(SimpleRequest request) {
        obeyStreamed(request.getRequestMessage());
        responses.onNext(response(request.getRequestMessage()));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  /** What the streaming handlers do with a request before answering it: fail on purpose, or demand a role. */
  private static void obeyStreamed(String command) {
    switch (command) {
      case "throw-internal" -> throw new IllegalStateException(SECRET);
      case "admin-only" -> CallContext.requireRole(Principal.ADMIN);
      default -> {}
    }
  }

  public static SimpleRequest request(String message) {
    return SimpleRequest.newBuilder().setRequestMessage(message).build();
  }

  private static SimpleResponse response(String message) {
    return SimpleResponse.newBuilder().setResponseMessage(message).build();
  }

  private static void reply(StreamObserver<SimpleResponse> responses, String message) {
    responses.onNext(response(message));
    responses.onCompleted();
  }
}
