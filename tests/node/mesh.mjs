// Starts and stops the real local mesh (`./trellis up`) for the Node tests, the way a user does.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TRELLIS = join(ROOT, 'trellis');

export function newStateDir() {
  return mkdtempSync(join(tmpdir(), 'trellis-node-'));
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `./trellis up` and resolves once it has printed its whole banner; rejects if it exits first. The edge gets a
 * free port unless one is given (never 8080: other runs may hold it).
 */
export async function up(stateDir, userPort, { timeoutMs = 180_000, edgePort } = {}) {
  const started = Date.now();
  const httpPort = edgePort ?? await freePort();
  const child = spawn(TRELLIS, ['up', '--state-dir', stateDir, '--user-port', String(userPort),
    '--edge-port', String(httpPort)], {
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
    edgePort: httpPort,
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
