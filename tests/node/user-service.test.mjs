// Cross-language proof and a test of `./trellis up` itself: a Node.js client (@grpc/grpc-js, with the schema
// fetched through server reflection, no .proto files) creates, gets and streams users on the running local mesh;
// then the mesh is stopped with Ctrl-C, started again on the same state directory, and the user is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import grpc from '@grpc/grpc-js';
import { GrpcReflection } from 'grpc-js-reflection-client';
import { ROOT, metadata, newStateDir, token, unary, up } from './mesh.mjs';

async function userServiceClient(address) {
  const reflection = new GrpcReflection(address, grpc.credentials.createInsecure());
  const services = await reflection.listServices();
  assert.ok(services.includes('trellis.user.v1.UserService'), `reflection lists ${services}`);
  const descriptor = await reflection.getDescriptorBySymbol('trellis.user.v1.UserService');
  const pkg = descriptor.getPackageObject({ keepCase: true, longs: String, defaults: true });
  return new pkg.trellis.user.v1.UserService(address, grpc.credentials.createInsecure());
}

function stream(client, method, request, md) {
  return new Promise((resolve, reject) => {
    const messages = [];
    let trailers;
    const call = client[method](request, md);
    call.on('data', (m) => messages.push(m));
    call.on('status', (s) => { trailers = s.metadata; });
    call.on('error', reject);
    call.on('end', () => resolve({ messages, trailers: () => trailers }));
  });
}

test('a grpc-js client uses user-service through reflection, and the data survives a restart', async (t) => {
  const stateDir = newStateDir();
  let mesh = await up(stateDir);
  const port = mesh.userPort;
  const address = `127.0.0.1:${port}`;
  t.after(() => mesh.stop());

  const admin = token(stateDir, 1, 'admin');
  const client = await userServiceClient(address);
  const md = metadata(admin);
  const email = `node-${Date.now()}@example.com`;

  const created = await unary(client, 'CreateUser', { email, name: 'Grace Hopper 🐛', roles: ['user'] }, md);
  assert.equal(created.email, email);
  assert.equal(created.name, 'Grace Hopper 🐛');
  assert.ok(BigInt(created.id) > 0n);

  const got = await unary(client, 'GetUser', { id: created.id }, md);
  assert.deepEqual(got, created);

  const listed = await stream(client, 'ListUsers', { filter: `email = "${email}"` }, md);
  assert.deepEqual(listed.messages.map((u) => u.id), [created.id]);

  const second = await unary(client, 'CreateUser', { email: `b-${email}`, name: 'Grace Hopper II' }, md);
  const page = await stream(client, 'ListUsers', { page_size: 1, filter: 'name : "Grace Hopper"' }, md);
  assert.deepEqual(page.messages.map((u) => u.id), [created.id]);
  const next = page.trailers().get('x-next-page-token')[0];
  assert.ok(next, 'the next page token travels in the trailers');
  const last = await stream(client, 'ListUsers',
    { page_size: 1, filter: 'name : "Grace Hopper"', page_token: next }, md);
  assert.deepEqual(last.messages.map((u) => u.id), [second.id]);
  assert.deepEqual(last.trailers().get('x-next-page-token'), [], 'no token on the last page');

  // The banner: dev mode said out loud, the endpoint, a token, and commands that work as printed on a fresh clone
  // (./trellis call needs nothing but the launcher; this mesh is off the defaults, so they carry its flags).
  const banner = mesh.output();
  assert.match(banner, /LOCAL DEV MODE/);
  assert.match(banner, new RegExp(`user-service\\s+${address.replaceAll('.', '\\.')}\\s`));
  const printedToken = banner.match(/export TOKEN=(\S+)/)?.[1];
  assert.ok(printedToken, 'the banner prints an admin token');
  const commands = banner.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('./trellis call'));
  assert.ok(commands.length >= 4, `the banner prints ./trellis call commands:\n${banner}`);
  const printed = (rpc) => commands.find((l) => l.includes(`user-service/${rpc} `));
  const run = (command) => execSync(command, { cwd: ROOT, shell: '/bin/bash', encoding: 'utf8' });
  const methods = run(commands.find((l) => l.includes('# lists its methods')));
  assert.match(methods, /trellis\.user\.v1\.UserService\/GetUser/);
  const ada = JSON.parse(run(printed('CreateUser')));
  assert.equal(ada.email, 'ada@example.com');
  assert.equal(JSON.parse(run(printed('GetUser').replaceAll('<id from above>', ada.id))).name, 'Ada Lovelace');
  assert.ok(run(printed('ListUsers')).includes(`"id": "${ada.id}"`), 'ListUsers streams the new user');
  const claims = JSON.parse(Buffer.from(printedToken.split('.')[1], 'base64url').toString());
  assert.deepEqual(claims.roles, ['admin'], 'the printed token is an admin token');

  const denied = await unary(client, 'GetUser', { id: second.id }, metadata(token(stateDir, created.id, 'user')))
    .then(() => null, (e) => e);
  assert.equal(denied?.code, grpc.status.PERMISSION_DENIED);

  // Issue 10: bad input gets a bounded, proper answer, and the channel goes on serving other calls meanwhile.
  const paths = Array.from({ length: 1000 }, (_, i) => `no_such_field_${i}_${'x'.repeat(40)}`);
  const [tooMany, alongside] = await Promise.all([
    unary(client, 'UpdateUser', { id: created.id, user: { name: 'x' }, update_mask: { paths } }, md)
      .then(() => null, (e) => e),
    unary(client, 'GetUser', { id: created.id }, md),
  ]);
  assert.equal(tooMany?.code, grpc.status.INVALID_ARGUMENT, `1000 mask paths: ${tooMany}`);
  assert.equal(tooMany.details, 'update_mask.paths: must have at most 16 elements, got 1000');
  assert.ok(tooMany.metadata.get('grpc-status-details-bin')[0].length < 2048, 'the details stay small');
  assert.equal(alongside.id, created.id);
  // Raw bytes that are no CreateUserRequest (email = the byte 0xff): INVALID_ARGUMENT naming the field.
  const raw = await new Promise((resolve) => client.makeUnaryRequest('/trellis.user.v1.UserService/CreateUser',
    (b) => b, (b) => b, Buffer.from('0a01ff12016e', 'hex'), md, (err) => resolve(err)));
  assert.equal(raw?.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(raw.details, 'email: is not valid UTF-8');
  // Headers over the server's 8 KiB limit are refused by the transport (README: errors), without details.
  const big = metadata(admin);
  big.set('x-big', 'y'.repeat(16 * 1024));
  const refused = await unary(client, 'GetUser', { id: created.id }, big).then(() => null, (e) => e);
  t.diagnostic(`16 KiB of request headers: ${refused?.code} ${refused?.details}`);
  assert.equal(refused?.code, grpc.status.INTERNAL);
  assert.deepEqual(refused.metadata.get('grpc-status-details-bin'), []);
  assert.equal((await unary(client, 'GetUser', { id: created.id }, md)).id, created.id, 'the channel goes on');

  const code = await mesh.stop();
  assert.ok([0, 130].includes(code), `Ctrl-C exits as a JVM does on SIGINT (0 or 128+2), got ${code}`);
  assert.match(mesh.output(), /Trellis stopped\./, 'Ctrl-C stops the services, then the shards');
  client.close();

  mesh = await up(stateDir, port);
  t.diagnostic(`restart with an existing state directory: all SERVING after ${mesh.readyMs} ms`);
  const again = await userServiceClient(address);
  const after = await unary(again, 'GetUser', { id: created.id }, metadata(token(stateDir, 1, 'admin')));
  assert.equal(after.email, email);
  again.close();
});
