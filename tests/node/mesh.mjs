// Starts and stops the real local mesh (`./trellis up`) for the Node tests, the way a user does, and the small
// grpc-js helpers the tests share.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import grpc from '@grpc/grpc-js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TRELLIS = join(ROOT, 'trellis');

export function newStateDir() {
  return mkdtempSync(join(tmpdir(), 'trellis-node-'));
}

/**
 * `count` distinct free ports, none of `avoid` (ports given for a restart: free now, wanted by a service). The
 * listeners stay open until all are bound: ports asked for one after another may come back the same once the first
 * is closed (it happened: the edge and order-service got one port).
 */
export async function freePorts(count, avoid = []) {
  const servers = [];
  const ports = [];
  try {
    while (ports.length < count) {
      const server = net.createServer();
      server.unref();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const { port } = server.address();
      if (!avoid.includes(port)) {
        ports.push(port);
      }
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

/**
 * Runs `./trellis up` and resolves once it has printed its whole banner; rejects if it exits first. The services and
 * the edge get free ports unless given ones, so that tests running at the same time never collide on 50051, 50052 or
 * 8080. A port found free can be taken by another process before the mesh binds it: a start refused for a port this
 * function chose is tried again with new ones.
 */
export async function up(stateDir, userPort, { timeoutMs = 180_000, orderPort, edgePort } = {}) {
  for (let attempt = 1; ; attempt++) {
    const [user, order, edge] = await freePorts(3, [userPort, orderPort, edgePort].filter((p) => p));
    const ports = { user: userPort ?? user, order: orderPort ?? order, edge: edgePort ?? edge };
    try {
      return await upOn(stateDir, ports, timeoutMs);
    } catch (e) {
      const taken = /port (\d+) of [\w-]+ is taken/.exec(e.message);
      const chosen = [userPort ? null : ports.user, orderPort ? null : ports.order, edgePort ? null : ports.edge];
      if (attempt === 3 || !taken || !chosen.includes(Number(taken[1]))) {
        throw e;
      }
    }
  }
}

async function upOn(stateDir, ports, timeoutMs) {
  const started = Date.now();
  const child = spawn(TRELLIS, ['up', '--state-dir', stateDir, '--user-port', String(ports.user),
    '--order-port', String(ports.order), '--edge-port', String(ports.edge)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`./trellis up not ready after ${timeoutMs} ms:\n${output}`)),
      timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything')) { // the banner's last line
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`./trellis up exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });
  return {
    readyMs: Date.now() - started,
    userPort: ports.user,
    orderPort: ports.order,
    edgePort: ports.edge,
    output: () => output,
    /** Ctrl-C, as a user stops it; resolves with the exit code. */
    async stop() {
      child.kill('SIGINT');
      const { code } = await exited;
      return code;
    },
  };
}

/** `./trellis token`: stdout is the token and a newline, nothing else. */
export function token(stateDir, sub, role) {
  const out = execFileSync(TRELLIS, ['token', '--state-dir', stateDir, '--sub', String(sub), '--role', role],
    { cwd: ROOT, encoding: 'utf8' });
  if (!/^[\w-]+\.[\w-]+\.[\w-]+\n$/.test(out)) {
    throw new Error(`./trellis token printed more than a token: ${JSON.stringify(out)}`);
  }
  return out.trim();
}

/** Call metadata that carries a bearer token. */
export function metadata(bearer) {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${bearer}`);
  return md;
}

/** A unary call of a grpc-js client as a promise. */
export function unary(client, method, request, md) {
  return new Promise((resolve, reject) =>
    client[method](request, md, (err, response) => (err ? reject(err) : resolve(response))));
}
