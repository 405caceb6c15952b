package dev.trellis.edge;

import com.google.protobuf.Any;
import com.google.protobuf.util.Durations;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.trellis.edgetest.v1.Book;
import dev.trellis.edgetest.v1.CollectReply;
import dev.trellis.edgetest.v1.CountReply;
import dev.trellis.edgetest.v1.CountRequest;
import dev.trellis.edgetest.v1.EchoRequest;
import dev.trellis.edgetest.v1.FailRequest;
import dev.trellis.edgetest.v1.GetBookRequest;
import dev.trellis.edgetest.v1.Genre;
import dev.trellis.edgetest.v1.InspectReply;
import dev.trellis.edgetest.v1.InspectRequest;
import dev.trellis.edgetest.v1.LibraryServiceGrpc;
import dev.trellis.edgetest.v1.ListTitlesRequest;
import dev.trellis.edgetest.v1.ListTitlesResponse;
import dev.trellis.edgetest.v1.SleepRequest;
import dev.trellis.edgetest.v1.UpdateBookRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test contract's LibraryService over real gRPC on Netty: a backend whose behaviour each test picks through the
 * request (fail with a status, stream at the reader's pace, echo metadata, sleep). Count sends only while the
 * transport is ready, as the services' FlowControlledSender does, and counts what it sent.
 */
final class LibraryBackend extends LibraryServiceGrpc.LibraryServiceImplBase implements AutoCloseable {
  static final Metadata.Key<String> TEST_HEADER = Metadata.Key.of("x-test-header", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TEST_TRAILER = Metadata.Key.of("x-test-trailer", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Metadata> HEADERS = Context.key("headers");

  final AtomicLong countSent = new AtomicLong();
  final AtomicLong sleepsStarted = new AtomicLong();
  private final Server server;

  LibraryBackend() {
    ServerInterceptor echo = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        ServerCall<ReqT, RespT> decorated = new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(TEST_HEADER, "from-headers");
            super.sendHeaders(responseHeaders);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            trailers.put(TEST_TRAILER, "from-trailers");
            super.close(status, trailers);
          }
        };
        return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), decorated, headers, next);
      }
    };
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(ServerInterceptors.intercept(this, echo))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void getBook(GetBookRequest request, StreamObserver<Book> response) {
    response.onNext(Book.newBuilder().setName(request.getName()).setTitle("Title of " + request.getName())
        .setGenre(Genre.GENRE_FICTION).setPages(100).build());
    response.onCompleted();
  }

  @Override
  public void oldGetBook(GetBookRequest request, StreamObserver<Book> response) {
    getBook(request, response);
  }

  @Override
  public void updateBook(UpdateBookRequest request, StreamObserver<Book> response) {
    response.onNext(request.getBook().toBuilder().setPages(1).build());
    response.onCompleted();
  }

  @Override
  public void echo(EchoRequest request, StreamObserver<EchoRequest> response) {
    response.onNext(request);
    response.onCompleted();
  }

  @Override
  public void listTitles(ListTitlesRequest request, StreamObserver<ListTitlesResponse> response) {
    response.onNext(ListTitlesResponse.newBuilder().addTitles("A on " + request.getShelf()).addTitles("B").setTotal(2)
        .build());
    response.onCompleted();
  }

  @Override
  public void count(CountRequest request, StreamObserver<CountReply> response) {
    ServerCallStreamObserver<CountReply> stream = (ServerCallStreamObserver<CountReply>) response;
    if (request.getFailAfter() < 0) {
      stream.onError(Status.FAILED_PRECONDITION.withDescription("failed before the first").asRuntimeException());
      return;
    }
    String payload = "x".repeat(request.getPayloadBytes());
    long[] next = {1};
    boolean[] done = {false};
    stream.setOnCancelHandler(() -> done[0] = true);
    stream.setOnReadyHandler(() -> {
      synchronized (next) {
        while (stream.isReady() && !done[0]) {
          if (request.getFailAfter() > 0 && next[0] > request.getFailAfter()) {
            done[0] = true;
            stream.onError(Status.ABORTED.withDescription("failed after " + request.getFailAfter())
                .asRuntimeException());
            return;
          }
          if (request.getLimit() > 0 && next[0] > request.getLimit()) {
            done[0] = true;
            stream.onCompleted();
            return;
          }
          stream.onNext(CountReply.newBuilder().setN(next[0]++).setPayload(payload).build());
          countSent.incrementAndGet();
        }
      }
    });
  }

  @Override
  public void inspect(InspectRequest request, StreamObserver<InspectReply> response) {
    Metadata headers = HEADERS.get();
    Map<String, String> seen = new TreeMap<>();
    for (String key : headers.keys()) {
      if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        seen.put(key, String.join(",", headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))));
      }
    }
    response.onNext(InspectReply.newBuilder().putAllMetadata(seen).setNote(request.getNote()).build());
    response.onCompleted();
  }

  @Override
  public void fail(FailRequest request, StreamObserver<FailRequest> response) {
    if (request.getCode() == 0) {
      response.onNext(request);
      response.onCompleted();
      return;
    }
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder().setCode(request.getCode())
        .setMessage(request.getMessage())
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("TEST_FAILURE").setDomain("test.trellis.dev").build()));
    if (request.getRetryAfterMs() > 0) {
      status.addDetails(Any.pack(RetryInfo.newBuilder()
          .setRetryDelay(Durations.fromMillis(request.getRetryAfterMs())).build()));
    }
    response.onError(StatusProto.toStatusRuntimeException(status.build()));
  }

  @Override
  public void sleep(SleepRequest request, StreamObserver<SleepRequest> response) {
    io.grpc.Deadline deadline = Context.current().getDeadline();
    long left = deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS);
    sleepsStarted.incrementAndGet();
    try {
      Thread.sleep(request.getMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    response.onNext(request.toBuilder().setDeadlineMs(left).build());
    response.onCompleted();
  }

  @Override
  public StreamObserver<CountReply> collect(StreamObserver<CollectReply> response) {
    return new StreamObserver<>() {
      private long count;
      private long sum;

      @Override
      public void onNext(CountReply value) {
        count++;
        sum += value.getN();
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onNext(CollectReply.newBuilder().setCount(count).setSum(sum).build());
        response.onCompleted();
      }
    };
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
