package dev.trellis.order;

import dev.trellis.platform.server.ServiceMain;

/** order-service's process: {@code java -cp ... dev.trellis.order.OrderServiceMain [--flags]}. */
public final class OrderServiceMain {
  public static final String NAME = OrderService.NAME;

  private OrderServiceMain() {}

  public static void main(String[] args) {
    ServiceMain.run(new OrderService(), args);
  }
}
