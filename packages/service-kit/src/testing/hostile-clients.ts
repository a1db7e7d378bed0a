// Clients that misbehave, on raw sockets, for the tests of the slow-client bounds (slow-clients.ts) and the
// hostile-client suite against the stack; and what a process holds (open files, RSS, the server side of a
// connection), read from /proc so it works on another process as well as this one. Linux only.
import { once } from 'node:events';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { vi } from 'vitest';

/** One raw connection to 127.0.0.1:port, connected, with everything it received and a promise for its close. */
export interface RawConnection {
  socket: Socket;
  /** the client's own port: find the server's side of the connection with serverSideState */
  localPort: number;
  /** resolves once the socket has closed, whoever closed it */
  closed: Promise<void>;
  /** what has arrived so far (nothing while the socket is paused) */
  received: () => string;
}

/**
 * Connects; with `paused`, the socket never reads (not even the first byte), so the server's writes stall once
 * the kernel buffers are full, as with a client that stopped reading.
 */
export async function rawConnection(port: number, { paused = false } = {}): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1' });
  if (paused) socket.pause();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined); // a reset is how some of these connections end
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return {
    socket,
    localPort: socket.localPort!,
    closed,
    received: () => Buffer.concat(chunks).toString('latin1'),
  };
}

/** A GET whose answer is never read. */
export async function neverReads(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawConnection> {
  const connection = await rawConnection(port, { paused: true });
  connection.socket.write(requestHead('GET', path, headers));
  return connection;
}

/** A request (PUT unless told) that announces `declared` bytes of body and sends only `sent` of them, then nothing. */
export async function stopsHalfway(
  port: number,
  path: string,
  declared: number,
  sent: number,
  headers: Record<string, string> = {},
  method = 'PUT',
): Promise<RawConnection> {
  const connection = await rawConnection(port);
  connection.socket.write(
    requestHead(method, path, {
      'content-type': 'application/octet-stream',
      'content-length': String(declared),
      ...headers,
    }),
  );
  connection.socket.write(Buffer.alloc(sent, 0x61));
  return connection;
}

/**
 * Slowloris: the request line, then one more header byte every `everyMs`, never the blank line that ends the
 * headers. Each byte keeps the connection from being idle, so only a bound on the headers' total time ends it.
 * The trickle stops when the connection closes.
 */
export async function trickleHeaders(port: number, everyMs: number): Promise<RawConnection> {
  const connection = await rawConnection(port);
  connection.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  const timer = setInterval(() => {
    if (connection.socket.writable) connection.socket.write('a');
  }, everyMs);
  void connection.closed.then(() => clearInterval(timer));
  return connection;
}

/** `count` connections that connect and send nothing. */
export async function silentConnections(port: number, count: number): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  // In batches: a thousand SYNs at once can overflow the listen backlog, which is not what is being tested.
  for (let start = 0; start < count; start += 100) {
    const batch = Math.min(100, count - start);
    connections.push(...(await Promise.all(Array.from({ length: batch }, () => rawConnection(port)))));
  }
  return connections;
}

/** A GET with `count` header fields of its own (plus Host), answered or refused; resolves with the status line. */
export async function manyHeaders(port: number, count: number): Promise<string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index < count; index += 1) headers[`x-h${index}`] = 'v';
  const connection = await rawConnection(port);
  connection.socket.write(requestHead('GET', '/health', { ...headers, connection: 'close' }));
  await connection.closed;
  return connection.received().split('\r\n')[0] ?? '';
}

export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

// /proc/net/tcp's state column (include/net/tcp_states.h).
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/**
 * The TCP state of the server's side of the connection from `clientPort` to `serverPort` on the loopback, or
 * undefined when the kernel has forgotten it. Anything but ESTABLISHED means the server has closed its socket.
 */
async function serverSideState(serverPort: number, clientPort: number): Promise<string | undefined> {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`)) {
        return TCP_STATES[state ?? ''] ?? state;
      }
    }
  }
  return undefined;
}

/** Whether the server has closed its side of the connection. */
export async function serverClosed(serverPort: number, connection: RawConnection): Promise<boolean> {
  const state = await serverSideState(serverPort, connection.localPort);
  return state !== 'ESTABLISHED' && state !== 'CLOSE_WAIT';
}

/** How many connections to `serverPort` the server holds open on its side (ESTABLISHED or CLOSE_WAIT). */
export async function openServerConnections(serverPort: number): Promise<number> {
  const hex = serverPort.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hex}`) && (state === '01' || state === '08')) count += 1;
    }
  }
  return count;
}

/** The number of open file descriptors of process `pid` (this one by default). */
export async function openFileCount(pid: number | 'self' = 'self'): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** The resident set size of process `pid`, in bytes. */
export async function residentBytes(pid: number | 'self' = 'self'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/**
 * Resolves once `condition` holds, checking every `everyMs` (vitest's vi.waitFor); rejects with `what` and the
 * last value seen after `timeoutMs`. For waiting on something another process does, where no event can be
 * awaited.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T> | T,
  condition: (value: T) => boolean,
  { timeoutMs = 10_000, everyMs = 50 } = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (!condition(value)) {
        throw new Error(`${what}: not so after ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
      }
      return value;
    },
    { timeout: timeoutMs, interval: everyMs },
  );
}

/** The files under `dir` that process `pid` holds open (sockets, pipes and files elsewhere left out). */
export async function openFilesUnder(dir: string, pid: number | 'self' = 'self'): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return targets.filter((target) => target.startsWith(prefix));
}

/** The process listening on 127.0.0.1:port (or any address), found through its socket's inode; undefined if none. */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return Number(entry);
    }
  }
  return undefined;
}

/**
 * Sends `head` (and nothing more), reads until the connection closes or a final (non-1xx) status line and its
 * headers have arrived, and resolves with every status line seen, in order (`100 Continue` included).
 */
export async function statusLines(
  port: number,
  head: string,
): Promise<{ lines: string[]; connection: RawConnection }> {
  const connection = await rawConnection(port);
  connection.socket.write(head);
  const finalSeen = () => {
    const text = connection.received();
    const lines = [...text.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*/g)];
    const final = lines.find((line) => !line[1]!.startsWith('1'));
    return final !== undefined && text.indexOf('\r\n\r\n', final.index) !== -1;
  };
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!finalSeen()) return;
      connection.socket.off('data', check);
      resolve();
    };
    connection.socket.on('data', check);
    void connection.closed.then(resolve);
  });
  const lines = [...connection.received().matchAll(/HTTP\/1\.1 \d{3}[^\r\n]*/g)].map((match) => match[0]);
  return { lines, connection };
}
