package dev.trellis.user.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Empty;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.ratelimit.ActionLimit;
import dev.trellis.platform.stream.FlowControlledSender;
import dev.trellis.platform.stream.SubscriptionSender;
import dev.trellis.user.rules.NewUser;
import dev.trellis.user.rules.UserAccessRules;
import dev.trellis.user.rules.UserChanges;
import dev.trellis.user.rules.UserValidation;
import dev.trellis.user.store.UserEvent;
import dev.trellis.user.store.StoredUser;
import dev.trellis.user.store.UserListing;
import dev.trellis.user.store.UserStore;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.DeleteUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserUpdate;
import io.grpc.Metadata;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The gRPC face of user-service: checks which users the caller may act on (rules), what is valid (rules), then asks
 * the store. Errors are thrown as the platform's ApiExceptions; the interceptor chain turns them into statuses with
 * details.
 *
 * <p>Order of checks: whether the caller's role or service may call the RPC at all is the chain's access step, before
 * the request is even parsed, so a caller without it learns nothing about its input (the declarations are in
 * user_service.proto); a rule about a target id (a user acting on itself) runs here after that id is validated.
 * UpdateUser validates its whole request, then makes one access decision, which reads the user only when it must (a
 * non-admin sending roles) and shares that one read with the update.
 */
public final class UserGrpcService extends UserServiceGrpc.UserServiceImplBase {
  /** Trailing metadata of ListUsers: the token of the next page, absent on the last page. */
  public static final Metadata.Key<String> NEXT_PAGE_TOKEN =
      Metadata.Key.of("x-next-page-token", Metadata.ASCII_STRING_MARSHALLER);

  private final UserStore store;
  private final OutboxFeed<UserEvent> updates;
  private final int subscriberBuffer;
  private final ActionLimit emailChanges;

  /**
   * @param subscriberBuffer how many updates may wait for a slow subscriber before it is cut off
   * @param emailChanges how often a user (not an admin) may try to move its own email
   */
  public UserGrpcService(UserStore store, OutboxFeed<UserEvent> updates, int subscriberBuffer,
      ActionLimit emailChanges) {
    this.store = requireNonNull(store, "store");
    this.updates = requireNonNull(updates, "updates");
    this.subscriberBuffer = subscriberBuffer;
    this.emailChanges = requireNonNull(emailChanges, "emailChanges");
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<User> response) {
    UserValidation.id("id", request.getId());
    UserAccessRules.checkGet(CallContext.principal(), request.getId());
    respond(response, UserMessages.toProto(store.get(request.getId())));
  }

  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<User> response) {
    UserValidation.pageSize(request.getPageSize());
    UserListing users = store.list(request.getFilter(), request.getPageSize(), request.getPageToken());
    FlowControlledSender.send(response, users, UserMessages::toProto, done -> {
      Metadata trailers = new Metadata();
      done.nextPageToken().ifPresent(token -> trailers.put(NEXT_PAGE_TOKEN, token));
      return trailers;
    });
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<User> response) {
    NewUser user = UserValidation.newUser(request.getEmail(), request.getName(), request.getRolesList());
    respond(response, UserMessages.toProto(store.create(user.email(), user.name(), user.roles())));
  }

  @Override
  public void updateUser(UpdateUserRequest request, StreamObserver<User> response) {
    UserValidation.id("id", request.getId());
    User user = request.getUser();
    UserChanges changes = UserValidation.changes(request.getId(), request.getUpdateMask().getPathsList(),
        user.getEmail(), user.getName(), user.getRolesList());
    // One read of the user, shared by the access decision (when it needs the roles) and the update. Not Guava's
    // memoize: it reads inside synchronized, and a virtual thread that waits there pins its carrier on JDK 21.
    StoredUser[] read = new StoredUser[1];
    Supplier<StoredUser> current = () -> read[0] != null ? read[0] : (read[0] = store.get(request.getId()));
    Principal caller = CallContext.principal();
    UserChanges allowed = UserAccessRules.checkUpdate(caller, request.getId(), changes, () -> current.get().roles());
    if (UserAccessRules.limitsEmailChange(caller, allowed, current.get().email())) {
      // Each try answers whether the email is registered (ALREADY_EXISTS): a user gets a few an hour.
      emailChanges.take(caller.subject());
    }
    respond(response, UserMessages.toProto(store.update(current.get(), allowed)));
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<Empty> response) {
    UserValidation.id("id", request.getId());
    store.delete(request.getId());
    respond(response, Empty.getDefaultInstance());
  }

  @Override
  public void subscribeToUpdates(SubscribeRequest request, StreamObserver<UserUpdate> response) {
    List<Long> ids = request.getUserIdsList();
    UserValidation.ids("user_ids", ids);
    UserAccessRules.checkSubscribe(CallContext.principal(), ids);
    if (ids.isEmpty()) {
      SubscriptionSender.send(response, updates, e -> true, subscriberBuffer, UserMessages::toProto);
      return;
    }
    Set<Long> wanted = Set.copyOf(ids);
    // Only the shards of the followed users: one down elsewhere does not concern this subscriber.
    SubscriptionSender.send(response, updates, store.shardsOf(wanted), e -> wanted.contains(e.userId()),
        subscriberBuffer, UserMessages::toProto);
  }

  @Override
  public StreamObserver<CreateUserRequest> importUsers(StreamObserver<ImportUsersResponse> response) {
    return UserImport.start(store, response);
  }

  private static <T> void respond(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }
}
