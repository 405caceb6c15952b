package dev.trellis.order.api;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.OrderValidation;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.Stock;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC face of InventoryService. Who may read and set stock is declared in inventory_service.proto and enforced
 * by the chain's access step; stock belongs to nobody, so no rule here narrows it.
 */
public final class InventoryGrpcService extends InventoryServiceGrpc.InventoryServiceImplBase {
  private final InventoryStore inventory;

  public InventoryGrpcService(InventoryStore inventory) {
    this.inventory = requireNonNull(inventory, "inventory");
  }

  @Override
  public void getStock(GetStockRequest request, StreamObserver<Stock> response) {
    OrderValidation.sku("sku", request.getSku());
    response.onNext(OrderMessages.toProto(inventory.get(request.getSku())));
    response.onCompleted();
  }

  @Override
  public void setStock(SetStockRequest request, StreamObserver<Stock> response) {
    OrderValidation.stock(request.getSku(), request.getAvailable(), request.getUnitPriceCents());
    response.onNext(OrderMessages.toProto(
        inventory.set(request.getSku(), request.getAvailable(), request.getUnitPriceCents())));
    response.onCompleted();
  }
}
