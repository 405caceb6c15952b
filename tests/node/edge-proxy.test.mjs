// The edge as users meet it: `./trellis up`, then the README's curl lines run as written (port and token filled
// in), and the same API called through the edge with a real gRPC-Web client library (@connectrpc/connect-web on
// Node's fetch), its schema read from the built descriptor set, no generated code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ROOT, newStateDir, token, up } from './mesh.mjs';

/** The curl lines of the README's "REST through the edge" block. */
function readmeCurlLines() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### REST through the edge'));
  const block = section.slice(section.indexOf('```') + 3, section.indexOf('```', section.indexOf('```') + 3));
  return block.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
}

test('the README curl lines run against the edge of ./trellis up', async (t) => {
  const stateDir = newStateDir();
  const mesh = await up(stateDir);
  t.after(() => mesh.stop());
  const env = { ...process.env, TOKEN: token(stateDir, 1, 'admin') };
  const run = (line) => execSync(line.replaceAll('127.0.0.1:8080', `127.0.0.1:${mesh.edgePort}`),
    { cwd: ROOT, shell: '/bin/bash', encoding: 'utf8', env });

  const lines = readmeCurlLines();
  assert.equal(lines.length, 8, `the README's edge block has its curl lines: ${lines}`);
  const [create, get, patch, list, importUsers, order, openapi, health] = lines;

  const alan = JSON.parse(run(create));
  assert.equal(alan.email, 'alan@example.com');
  assert.match(alan.id, /^\d+$/, 'int64 ids are JSON strings');
  assert.deepEqual(JSON.parse(run(get.replace('<id from above>', alan.id))), alan);
  assert.equal(JSON.parse(run(patch.replace('<id from above>', alan.id))).name, 'Alan M. Turing');
  const listed = run(list).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(listed.map((u) => u.id), [alan.id], 'ListUsers is NDJSON, one user per line');
  const imported = JSON.parse(run(importUsers));
  assert.equal(imported.createdCount, 2);
  // CreateOrder with REST's Idempotency-Key header: a whole saga; the same line again is a replay.
  const placeOrder = () => {
    const [head, body] = run(order.replace('<id from above>', alan.id)).split('\r\n\r\n');
    return { head: head.toLowerCase(), order: JSON.parse(body) };
  };
  const first = placeOrder();
  assert.equal(first.order.status, 'ORDER_STATUS_CONFIRMED', JSON.stringify(first.order));
  assert.equal(first.order.totalCents, '600');
  assert.ok(!first.head.includes('x-idempotent-replayed'), first.head);
  const again = placeOrder();
  assert.deepEqual(again.order, first.order);
  assert.match(again.head, /^x-idempotent-replayed: true$/m);
  const spec = JSON.parse(run(openapi));
  assert.equal(spec.openapi, '3.0.3');
  assert.ok(spec.paths['/v1/users/{id}'].get, 'GET /v1/users/{id} is documented');
  assert.deepEqual(JSON.parse(run(health)), { status: 'SERVING' });

  // The banner names the edge and prints REST lines of the same shape, which work as printed with its token.
  const banner = mesh.output();
  assert.match(banner, new RegExp(`edge-proxy\\s+http://127\\.0\\.0\\.1:${mesh.edgePort}\\s`));
  assert.ok(banner.includes(`curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${mesh.edgePort}/v1/users/`));
  const printedToken = banner.match(/export TOKEN=(\S+)/)?.[1];
  assert.ok(printedToken, 'the banner prints an admin token');
  const printed = banner.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
  assert.equal(printed.length, 3, `the banner prints three REST lines:\n${banner}`);
  const asPrinted = (line) => execSync(line, { cwd: ROOT, shell: '/bin/bash', encoding: 'utf8',
    env: { ...process.env, TOKEN: printedToken } });
  const grace = JSON.parse(asPrinted(printed[0]));
  assert.equal(grace.email, 'grace@example.com');
  assert.deepEqual(JSON.parse(asPrinted(printed[1].replaceAll('<id from above>', grace.id))), grace);
  const everyone = asPrinted(printed[2]).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(everyone.some((u) => u.id === grace.id), 'the banner\'s ListUsers line streams the new user');
});

test('a gRPC-Web client library calls user-service through the edge', async (t) => {
  const stateDir = newStateDir();
  const mesh = await up(stateDir);
  t.after(() => mesh.stop());
  const bytes = readFileSync(join(ROOT, 'proto/target/classes/dev/trellis/proto/trellis.binpb'));
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const UserService = registry.getService('trellis.user.v1.UserService');
  const transport = createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${mesh.edgePort}`, useBinaryFormat: true });
  const client = createClient(UserService, transport);
  const headers = { authorization: `Bearer ${token(stateDir, 1, 'admin')}` };

  const ada = await client.createUser({ email: 'ada@web.example', name: 'Ada Lovelace' }, { headers });
  assert.ok(ada.id > 0n);
  const got = await client.getUser({ id: ada.id }, { headers });
  assert.equal(got.email, 'ada@web.example');

  await client.createUser({ email: 'ada2@web.example', name: 'Ada Two' }, { headers });
  const streamed = [];
  let trailers;
  for await (const user of client.listUsers({ filter: 'name : "Ada"', pageSize: 1 },
    { headers, onTrailer: (t) => { trailers = t; } })) {
    streamed.push(user.email);
  }
  assert.deepEqual(streamed, ['ada@web.example'], 'a server stream over gRPC-Web');
  assert.ok(trailers.get('x-next-page-token'), 'trailers reach a browser client in the status frame');

  const missing = await client.getUser({ id: 1n }, { headers }).then(() => null, (e) => ConnectError.from(e));
  assert.equal(missing?.code, Code.NotFound);
  const denied = await client.getUser({ id: ada.id }).then(() => null, (e) => ConnectError.from(e));
  assert.equal(denied?.code, Code.Unauthenticated);
});
