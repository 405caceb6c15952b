package dev.trellis.conformance;

import static dev.trellis.conformance.CaseFailure.check;
import static dev.trellis.conformance.CaseFailure.errorOf;
import static dev.trellis.conformance.CaseFailure.expectCode;
import static dev.trellis.conformance.CaseFailure.statusOf;

import com.google.protobuf.Empty;
import com.google.rpc.ResourceInfo;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.DeleteUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** The interop cases that map onto user-service's RPCs. */
final class UserServiceCases {
  static final String TARGET = "user-service";
  /** More cancelled calls than a shard pool has connections (cores * 2 + 1 by default), so a leak would show. */
  static final int CANCELLED_CALLS = 40;
  private static final Metadata.Key<String> NEXT_PAGE_TOKEN =
      Metadata.Key.of("x-next-page-token", Metadata.ASCII_STRING_MARSHALLER);

  private final MeshClients clients;
  private final RunData data;
  private final int maxMessageBytes;
  private final Optional<PoolProbe> pools;

  UserServiceCases(MeshClients clients, RunData data, int maxMessageBytes, Optional<PoolProbe> pools) {
    this.clients = clients;
    this.data = data;
    this.maxMessageBytes = maxMessageBytes;
    this.pools = pools;
  }

  List<InteropCase> cases() {
    return List.of(
        new InteropCase("empty_unary", "UserService/DeleteUser", TARGET, this::emptyUnary),
        new InteropCase("client_streaming", "UserService/ImportUsers", TARGET, this::clientStreaming),
        new InteropCase("server_streaming", "UserService/ListUsers", TARGET, this::serverStreaming),
        new InteropCase("custom_metadata", "UserService/ListUsers", TARGET, this::customMetadata),
        new InteropCase("status_code_and_message", "UserService/GetUser", TARGET, this::statusCodeAndMessage),
        new InteropCase("special_status_message", "UserService/ListUsers", TARGET, this::specialStatusMessage),
        new InteropCase("cancel_after_begin", "UserService/ImportUsers", TARGET, this::cancelAfterBegin),
        new InteropCase("cancel_after_first_response", "UserService/ListUsers", TARGET,
            this::cancelAfterFirstResponse),
        new InteropCase("very_large_request", "UserService/CreateUser", TARGET, this::veryLargeRequest));
  }

  /** An RPC that returns google.protobuf.Empty. */
  private String emptyUnary() {
    User user = data.newUser(data.tag());
    Empty answer = clients.users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());
    check(answer.equals(Empty.getDefaultInstance()), "DeleteUser answered a non-empty message: " + answer);
    return "deleted user " + user.getId() + ", answer Empty";
  }

  /** A client stream of requests, one answer counting them. */
  private String clientStreaming() throws Exception {
    String tag = data.tag();
    int count = 25;
    CompletableFuture<ImportUsersResponse> answer = new CompletableFuture<>();
    StreamObserver<CreateUserRequest> requests = clients.usersAsync().importUsers(observer(answer));
    for (int i = 0; i < count; i++) {
      requests.onNext(data.newUserRequest(tag));
    }
    requests.onCompleted();
    ImportUsersResponse response = answer.get(MeshClients.CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS);
    check(response.getCreatedCount() == count && response.getErrorsCount() == 0,
        "ImportUsers of " + count + " users answered " + response);
    List<User> listed = list(ListUsersRequest.newBuilder().setFilter(nameContains(tag)).build());
    check(listed.size() == count, "ListUsers finds " + listed.size() + " of the " + count + " imported users");
    return count + " users streamed, created_count " + response.getCreatedCount();
  }

  /** A server stream: every user of a filter, in ascending id across the shards. */
  private String serverStreaming() {
    String tag = data.tag();
    List<Long> created = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      created.add(data.newUser(tag).getId());
    }
    List<Long> listed = list(ListUsersRequest.newBuilder().setFilter(nameContains(tag)).build()).stream()
        .map(User::getId).toList();
    check(listed.equals(created.stream().sorted().toList()),
        "ListUsers streamed " + listed + "; expected " + created + " in ascending order");
    return listed.size() + " users streamed in ascending id";
  }

  /** x-request-id comes back in the response headers; the next page token travels in the trailers. */
  private String customMetadata() {
    String tag = data.tag();
    User first = data.newUser(tag);
    User second = data.newUser(tag);
    String requestId = "conformance-" + UUID.randomUUID();
    Metadata sent = new Metadata();
    sent.put(RequestIds.HEADER, requestId);
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    List<User> page = new ArrayList<>();
    clients.users().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
            MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .listUsers(ListUsersRequest.newBuilder().setFilter(nameContains(tag)).setPageSize(1).build())
        .forEachRemaining(page::add);
    check(headers.get() != null && requestId.equals(headers.get().get(RequestIds.HEADER)),
        "the response headers carry x-request-id " + (headers.get() == null ? null
            : headers.get().get(RequestIds.HEADER)) + "; expected " + requestId);
    check(page.size() == 1 && page.getFirst().getId() == Math.min(first.getId(), second.getId()),
        "the first page of 1 is " + page);
    String next = trailers.get() == null ? null : trailers.get().get(NEXT_PAGE_TOKEN);
    check(next != null && !next.isEmpty(), "the trailers carry no x-next-page-token: " + trailers.get());
    List<User> rest = list(ListUsersRequest.newBuilder().setFilter(nameContains(tag)).setPageSize(1)
        .setPageToken(next).build());
    check(rest.size() == 1 && rest.getFirst().getId() == Math.max(first.getId(), second.getId()),
        "the page after the trailer's token is " + rest);
    return "x-request-id echoed in headers; x-next-page-token read from the trailers led to page 2";
  }

  /** NOT_FOUND with its message and a ResourceInfo detail. */
  private String statusCodeAndMessage() {
    User user = data.newUser(data.tag());
    clients.users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());
    StatusRuntimeException error = errorOf(
        () -> clients.users().getUser(GetUserRequest.newBuilder().setId(user.getId()).build()),
        "GetUser of a deleted user");
    Status status = error.getStatus();
    expectCode(status, Status.Code.NOT_FOUND, "GetUser of a deleted user");
    String expected = "users/" + user.getId();
    check(status.getDescription() != null && status.getDescription().contains(expected),
        "the message '" + status.getDescription() + "' does not name " + expected);
    com.google.rpc.Status details = StatusProto.fromThrowable(error);
    check(details != null && details.getDetailsList().stream().anyMatch(any -> any.is(ResourceInfo.class)),
        "NOT_FOUND carries no ResourceInfo detail: " + details);
    return "NOT_FOUND '" + status.getDescription() + "' with ResourceInfo";
  }

  /** A message with characters outside ASCII comes back intact (grpc-message is percent-encoded UTF-8). */
  private String specialStatusMessage() {
    String odd = "€";
    Status status = statusOf(() -> list(ListUsersRequest.newBuilder().setFilter(odd + " = 1").build()),
        "ListUsers with the filter '" + odd + " = 1'");
    expectCode(status, Status.Code.INVALID_ARGUMENT, "ListUsers with a filter that starts with " + odd);
    check(status.getDescription() != null && status.getDescription().contains("'" + odd + "'"),
        "the message lost its " + odd + ": '" + status.getDescription() + "'");
    return "INVALID_ARGUMENT '" + status.getDescription() + "'";
  }

  /** ImportUsers cancelled before any message: CANCELLED, and the server goes on serving. */
  private String cancelAfterBegin() throws Exception {
    for (int i = 0; i < CANCELLED_CALLS; i++) {
      CompletableFuture<ImportUsersResponse> answer = new CompletableFuture<>();
      ClientCallStreamObserver<CreateUserRequest> requests =
          (ClientCallStreamObserver<CreateUserRequest>) clients.usersAsync().importUsers(observer(answer));
      requests.cancel("cancel_after_begin", null);
      Status status = statusOf(() -> answer.get(MeshClients.CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS),
          "a cancelled ImportUsers");
      expectCode(status, Status.Code.CANCELLED, "ImportUsers cancelled after it began");
    }
    return CANCELLED_CALLS + " calls CANCELLED; " + stillServing();
  }

  /** ListUsers cancelled after its first user: CANCELLED, the server stops reading and frees its connections. */
  private String cancelAfterFirstResponse() throws Exception {
    // 300 users on several shards: the server is usually mid-stream when the cancel comes. When the whole listing
    // fits in the flow-control window it may have finished, so the client asks for the first user only.
    String tag = data.tag();
    CompletableFuture<ImportUsersResponse> imported = new CompletableFuture<>();
    StreamObserver<CreateUserRequest> requests = clients.usersAsync().importUsers(observer(imported));
    for (int i = 0; i < 300; i++) {
      requests.onNext(data.newUserRequest(tag + " " + "padding".repeat(20)));
    }
    requests.onCompleted();
    imported.get(MeshClients.CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS);
    for (int i = 0; i < CANCELLED_CALLS; i++) {
      ResponseStream<ListUsersRequest, User> listing = ResponseStream.firstOnly();
      clients.usersAsync().listUsers(ListUsersRequest.newBuilder().setFilter(nameContains(tag)).build(), listing);
      check(listing.next() != null, "ListUsers sent no first user");
      listing.cancel("cancel_after_first_response");
      Status status = listing.end();
      expectCode(status, Status.Code.CANCELLED, "ListUsers cancelled after its first response");
    }
    return CANCELLED_CALLS + " calls CANCELLED after their first user (of 300 each); " + stillServing();
  }

  /** A request over the servers' message limit is refused by the transport with RESOURCE_EXHAUSTED. */
  private String veryLargeRequest() {
    int size = maxMessageBytes + 1024;
    CreateUserRequest huge = CreateUserRequest.newBuilder().setEmail(data.tag() + "@conformance.example")
        .setName("x".repeat(size)).build();
    Status status = statusOf(() -> clients.users().createUser(huge), "CreateUser of " + size + " bytes");
    expectCode(status, Status.Code.RESOURCE_EXHAUSTED, "CreateUser of " + huge.getSerializedSize() + " bytes");
    return "RESOURCE_EXHAUSTED '" + status.getDescription() + "'";
  }

  /**
   * After cancelled calls: the pools are idle (when a probe can see them), and a listing that reads every shard is
   * still served, which it would not be if the cancelled calls had kept connections.
   */
  private String stillServing() throws Exception {
    String pool = pools.isPresent() ? pools.get().awaitNoneInUse()
        : "pool gauges not readable from here";
    List<User> all = list(ListUsersRequest.newBuilder().setPageSize(10).build());
    check(!all.isEmpty(), "ListUsers after the cancelled calls streamed nothing");
    return pool + "; a ListUsers over every shard is served after them";
  }

  private List<User> list(ListUsersRequest request) {
    List<User> users = new ArrayList<>();
    Iterator<User> stream = clients.users().listUsers(request);
    stream.forEachRemaining(users::add);
    return users;
  }

  private static String nameContains(String tag) {
    return "name : \"" + tag + "\"";
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(Status.fromThrowable(t).asRuntimeException());
      }

      @Override
      public void onCompleted() {
        answer.completeExceptionally(Status.INTERNAL.withDescription("ended without an answer")
            .asRuntimeException());
      }
    };
  }
}
