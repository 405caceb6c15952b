// Cross-language proof for order-service on the running local mesh: a Node.js client (@grpc/grpc-js, schema
// through server reflection) reads the demo catalog, places an order as its user, watches it, cancels it and sees
// the watch end; and the order commands the banner prints work as printed (CreateOrder twice: a replay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import grpc from '@grpc/grpc-js';
import { GrpcReflection } from 'grpc-js-reflection-client';
import { ROOT, metadata, newStateDir, token, unary, up } from './mesh.mjs';

async function client(address, service) {
  const reflection = new GrpcReflection(address, grpc.credentials.createInsecure());
  const descriptor = await reflection.getDescriptorBySymbol(service);
  const pkg = descriptor.getPackageObject({ keepCase: true, longs: String, enums: String, defaults: true });
  const [, , , name] = service.split('.');
  return new pkg.trellis.order.v1[name](address, grpc.credentials.createInsecure());
}

test('a grpc-js client places, watches and cancels an order on the local mesh', async (t) => {
  const stateDir = newStateDir();
  const mesh = await up(stateDir);
  const userPort = mesh.userPort;
  t.after(() => mesh.stop());
  const orderAddress = `127.0.0.1:${mesh.orderPort}`;
  const banner = mesh.output();
  assert.match(banner, new RegExp(`order-service\\s+${orderAddress.replaceAll('.', '\\.')}\\s`));

  // The banner's own commands, as printed (./trellis call, with this mesh's flags): a user, then an order for it
  // from the demo catalog, then the same order again.
  const commands = banner.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('./trellis call'));
  const printed = (rpc) => commands.find((l) => l.includes(rpc));
  const run = (command) => JSON.parse(execSync(command, { cwd: ROOT, shell: '/bin/bash', encoding: 'utf8' }));
  const ada = run(printed('user-service/CreateUser '));
  const createOrder = printed('order-service/CreateOrder ').replace('<id from CreateUser>', ada.id);
  const placedByCall = run(createOrder);
  assert.equal(placedByCall.status, 'ORDER_STATUS_CONFIRMED');
  assert.equal(placedByCall.totalCents, '2500', 'two demo mugs at $12.50');
  assert.deepEqual(run(createOrder), placedByCall, 'the same request_id replays the first order');
  assert.equal(run(printed('order-service/GetStock ')).sold, '2');

  const orders = await client(orderAddress, 'trellis.order.v1.OrderService');
  const inventory = await client(orderAddress, 'trellis.order.v1.InventoryService');
  const asAda = metadata(token(stateDir, ada.id, 'user'));
  const stock = await unary(inventory, 'GetStock', { sku: 'tee-black-m' }, asAda);
  assert.equal(stock.unit_price_cents, '2500');

  const order = await unary(orders, 'CreateOrder', {
    user_id: ada.id,
    items: [{ sku: 'tee-black-m', quantity: 1 }],
    payment_token: 'tok_visa',
    shipping_address: { recipient: 'Ada Lovelace', line1: '12 St James Square', city: 'London', country_code: 'GB' },
    request_id: `node-${Date.now()}`,
  }, asAda);
  assert.equal(order.status, 'ORDER_STATUS_CONFIRMED');
  assert.equal(order.total_cents, '2500');
  assert.match(order.payment_id, /^pay_/);

  const events = [];
  const watched = new Promise((resolve, reject) => {
    const call = orders.WatchOrder({ id: order.id }, asAda);
    call.on('data', (event) => {
      events.push(event);
      if (event.status === 'ORDER_STATUS_CONFIRMED') {
        unary(orders, 'CancelOrder', { id: order.id, reason: 'from node' }, asAda).catch(reject);
      }
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
  await watched;
  assert.deepEqual(events.map((e) => e.status), ['ORDER_STATUS_CONFIRMED', 'ORDER_STATUS_CANCELLED']);
  assert.equal(events.at(-1).reason, 'from node');
  const after = await unary(inventory, 'GetStock', { sku: 'tee-black-m' }, asAda);
  assert.equal(after.available, stock.available, 'the cancelled order returned its unit');

  const stranger = await unary(orders, 'GetOrder', { id: order.id }, metadata(token(stateDir, 42, 'user')))
    .then(() => null, (e) => e);
  assert.equal(stranger?.code, grpc.status.PERMISSION_DENIED);
  orders.close();
  inventory.close();
});
