package dev.trellis.user.api;

import dev.trellis.testing.ServiceExtension;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/** Calls the fault tests make of a user-service they run: as admin, and its health by name. */
final class ServiceCalls {
  private ServiceCalls() {}

  /** A stub that calls as admin, with a deadline far beyond what a fault should take. */
  static UserServiceBlockingStub admin(ServiceExtension users) {
    return users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** The health of {@code service}: "" for the server, a service name, or a shard's (shards/user/shard-1). */
  static ServingStatus health(ServiceExtension users, String service) {
    return HealthGrpc.newBlockingStub(users.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }
}
