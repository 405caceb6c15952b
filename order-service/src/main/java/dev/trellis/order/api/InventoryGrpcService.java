package dev.trellis.order.api;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.OrderAccessRules;
import dev.trellis.order.rules.OrderValidation;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.Stock;
import dev.trellis.platform.context.CallContext;
import io.grpc.stub.StreamObserver;

/** The gRPC face of InventoryService: anyone with an identity reads stock; admins set it. */
public final class InventoryGrpcService extends InventoryServiceGrpc.InventoryServiceImplBase {
  private final InventoryStore inventory;

  public InventoryGrpcService(InventoryStore inventory) {
    this.inventory = requireNonNull(inventory, "inventory");
  }

  @Override
  public void getStock(GetStockRequest request, StreamObserver<Stock> response) {
    OrderAccessRules.checkGetStock(CallContext.principal());
    OrderValidation.sku("sku", request.getSku());
    response.onNext(OrderMessages.toProto(inventory.get(request.getSku())));
    response.onCompleted();
  }

  @Override
  public void setStock(SetStockRequest request, StreamObserver<Stock> response) {
    OrderAccessRules.checkSetStock(CallContext.principal());
    OrderValidation.stock(request.getSku(), request.getAvailable(), request.getUnitPriceCents());
    response.onNext(OrderMessages.toProto(
        inventory.set(request.getSku(), request.getAvailable(), request.getUnitPriceCents())));
    response.onCompleted();
  }
}
