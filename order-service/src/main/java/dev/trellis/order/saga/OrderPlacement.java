package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.trellis.order.rules.NewOrder;
import dev.trellis.order.rules.OrderItem;
import dev.trellis.order.store.IdempotencyKeyTakenException;
import dev.trellis.order.store.IdempotencyKeys;
import dev.trellis.order.store.IdempotencyKeys.StoredKey;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.store.OrderDraft;
import dev.trellis.order.store.OrderLine;
import dev.trellis.order.store.SagaContext;
import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.store.SagaRecord;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.platform.error.AbortedException;
import dev.trellis.platform.error.FailedPreconditionException;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.platform.error.StatusMapper;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CreateOrder's work: the idempotency key first (a repeat answers as the first call did), then the verify_user
 * step on the caller's thread, the prices, and the order stored with its saga and key in one transaction; then the
 * saga runs on, detached from the caller ({@link SagaRunner}).
 *
 * <p>What is stored when: nothing at all while the user cannot be verified (user-service unavailable), so a retry
 * starts afresh; an unknown user is an answer, stored as a REJECTED order; an unknown SKU is a client error, stored
 * with the key and replayed; everything else is the order and its saga. Concurrent duplicates race for the key in
 * the order's transaction: one wins and runs the saga, the others answer with its result once it has ended (they
 * wait up to {@link SagaSettings#awaitTimeout()}), or ABORTED with RetryInfo if it is still running then.
 */
public final class OrderPlacement {
  /** The ErrorInfo reason of a key used again for another request. */
  public static final String KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";
  /** The ErrorInfo reason of a duplicate whose first call is still running. */
  public static final String KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE";
  private static final Logger log = LoggerFactory.getLogger(OrderPlacement.class);

  private final IdempotencyKeys keys;
  private final SagaJournal journal;
  private final InventoryStore inventory;
  private final UserVerifier users;
  private final SagaRunner runner;
  private final OrderOutcomes outcomes;
  private final SagaSpans spans;
  private final Duration awaitTimeout;

  OrderPlacement(IdempotencyKeys keys, SagaJournal journal, InventoryStore inventory, UserVerifier users,
      SagaRunner runner, OrderOutcomes outcomes, SagaSpans spans, Duration awaitTimeout) {
    this.keys = requireNonNull(keys, "keys");
    this.journal = requireNonNull(journal, "journal");
    this.inventory = requireNonNull(inventory, "inventory");
    this.users = requireNonNull(users, "users");
    this.runner = requireNonNull(runner, "runner");
    this.outcomes = requireNonNull(outcomes, "outcomes");
    this.spans = requireNonNull(spans, "spans");
    this.awaitTimeout = requireNonNull(awaitTimeout, "awaitTimeout");
  }

  /**
   * Places the order, or answers as the first call with this key did.
   *
   * @param requestHash identifies the request without its key: the same key with another hash is refused
   * @return completes once the saga has ended (a caller that leaves does not stop it)
   * @throws dev.trellis.platform.error.UnavailableException when the user cannot be verified now: nothing stored
   * @throws NotFoundException for an unknown SKU (stored with the key, and replayed)
   * @throws FailedPreconditionException when the key was used for another request
   * @throws AbortedException when the first call with the key is still running after the wait
   * @throws ReplayedFailureException when the first call with the key answered a client error
   */
  public CompletableFuture<Placement> place(NewOrder order, byte[] requestHash) {
    requireNonNull(order, "order");
    requireNonNull(requestHash, "requestHash");
    String key = order.idempotencyKey();
    Optional<StoredKey> existing = keys.find(order.userId(), key);
    if (existing.isPresent()) {
      return CompletableFuture.completedFuture(replay(existing.get(), requestHash));
    }
    Span sagaSpan = spans.start(SagaSpans.CREATE_ORDER);
    boolean started = false;
    try (Scope ignored = sagaSpan.makeCurrent()) {
      Optional<VerifiedUser> user = users.verifyTraced(order.userId(), spans);
      SagaContext context = SagaContext.empty()
          .with(OrderSagaSteps.INPUT, Map.of(OrderSagaSteps.PAYMENT_TOKEN, order.paymentToken()));
      if (user.isEmpty()) {
        String reason = "user " + order.userId() + " not found";
        StoredOrder rejected = journal.beginRejected(draft(order, Map.of(), key, requestHash), context, reason);
        log.info("{} {} failed: {}", kv("saga_id", "order_" + rejected.id()),
            kv("step", OrderStep.VERIFY_USER.stepName()), kv("failure", reason));
        return CompletableFuture.completedFuture(new Placement(rejected, false));
      }
      Map<String, Long> prices;
      try {
        prices = inventory.prices(order.skus());
      } catch (NotFoundException unknownSku) {
        // A client error: kept with the key, so that a repeat answers it again.
        byte[] status = StatusProto.fromThrowable(StatusMapper.toStatusException(unknownSku)).toByteArray();
        Optional<StoredKey> first = keys.recordError(order.userId(), key, requestHash, status);
        if (first.isPresent()) {
          return CompletableFuture.completedFuture(replay(first.get(), requestHash));
        }
        throw unknownSku;
      }
      context = context.with(OrderStep.VERIFY_USER.stepName(),
          Map.of(OrderSagaSteps.EMAIL, user.get().email(), OrderSagaSteps.NAME, user.get().name()));
      SagaRecord saga = journal.begin(draft(order, prices, key, requestHash), context,
          List.of(OrderStep.VERIFY_USER.stepName()), OrderStep.RESERVE_INVENTORY.stepName());
      sagaSpan.setAttribute("order.id", saga.order().id()).setAttribute("saga.id", saga.saga().sagaId());
      log.info("{} started: {} completed, {}", kv("saga_id", saga.saga().sagaId()),
          kv("step", OrderStep.VERIFY_USER.stepName()), kv("next_step", saga.saga().currentStep()));
      started = true;
      return runner.start(saga, sagaSpan).thenApply(placed -> new Placement(placed, false));
    } catch (IdempotencyKeyTakenException duplicate) {
      // A concurrent call with the same key stored its order first: answer with its result.
      StoredKey first = keys.find(order.userId(), key).orElseThrow(() -> new IllegalStateException(
          "an idempotency key taken a moment ago is gone"));
      return CompletableFuture.completedFuture(replay(first, requestHash));
    } catch (RuntimeException e) {
      SagaSpans.failed(sagaSpan, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      if (!started) {
        sagaSpan.end();
      }
    }
  }

  /** What the first call with this key answered, once its saga has ended. */
  private Placement replay(StoredKey key, byte[] requestHash) {
    if (!MessageDigest.isEqual(key.requestHash(), requestHash)) {
      throw new FailedPreconditionException(KEY_REUSED,
          "the idempotency key was used before for a different request; use a new key for a new order");
    }
    if (key.error().isPresent()) {
      throw new ReplayedFailureException(key.error().get());
    }
    long orderId = key.orderId().orElseThrow();
    StoredOrder order = outcomes.await(orderId, StoredOrder::settled, awaitTimeout);
    if (!order.settled()) {
      throw new AbortedException(KEY_IN_USE,
          "the first request with this idempotency key is still running; retry to get its result",
          Duration.ofSeconds(1));
    }
    return new Placement(order, true);
  }

  private static OrderDraft draft(NewOrder order, Map<String, Long> prices, String key, byte[] requestHash) {
    List<OrderLine> lines = order.items().stream()
        .map((OrderItem item) -> new OrderLine(item.sku(), item.quantity(), prices.getOrDefault(item.sku(), 0L)))
        .toList();
    return new OrderDraft(order.userId(), lines, order.address(), key, requestHash);
  }

  /**
   * What CreateOrder answers.
   *
   * @param replayed whether it is the result of an earlier call with the same key
   */
  public record Placement(StoredOrder order, boolean replayed) {
    public Placement {
      requireNonNull(order, "order");
    }
  }
}
