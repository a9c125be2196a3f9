import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to a Redis on 127.0.0.1, for tests that need a connection's bytes cut or held at a chosen point. Every
 * byte passes as it is unless asked otherwise.
 */
export interface RedisProxy {
  readonly url: string;
  /** How many connections cutAfter() cut so far. */
  readonly cuts: number;
  /**
   * The first command holding `marker` is forwarded, then its connection is cut: Redis's side closed after the bytes
   * sent, the client's once Redis closed it (Redis carried the command out; the client never learns it, nor the answers
   * to the commands it sent before and had no answer to yet). Once.
   */
  cutAfter(marker: string): void;
  /**
   * The first answer from Redis holding `marker` is kept back, with every byte after it on that connection, until
   * release(). Resolves when one was kept.
   */
  holdAnswer(marker: string): Promise<void>;
  /** Lets through what holdAnswer() kept back (and anything it would keep from now on). */
  release(): void;
  /** Ends every connection open now (their clients may connect again through the proxy). */
  cutAll(): void;
  /**
   * From now on nothing passes, either way: bytes stay in the sockets' buffers, no connection is closed, new ones are
   * taken and get no answer (a network partition, not a dead Redis).
   */
  blackhole(): void;
  /** Ends every connection and refuses new ones (Redis gone, from the side of the connections through the proxy). */
  close(): Promise<void>;
}

export async function redisProxy(port = 6379): Promise<RedisProxy> {
  let cutMarker: Buffer | undefined;
  let cuts = 0;
  let holdMarker: Buffer | undefined;
  let onHeld: () => void = () => undefined;
  let released = false;
  const kept: (() => void)[] = [];
  let blackholed = false;
  /** Every connection open, as the client's socket and Redis's (until cutAll() or close()). */
  const pairs = new Set<readonly [Socket, Socket]>();
  const cutAll = (): void => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
  };
  const server: Server = createServer((client) => {
    if (blackholed) {
      client.on('error', () => undefined);
      client.pause();
      pairs.add([client, client]);
      return;
    }
    const upstream = tcpConnect(port, '127.0.0.1');
    const pair = [client, upstream] as const;
    pairs.add(pair);
    let holding = false;
    let cutting = false;
    const later: Buffer[] = [];
    client.on('data', (d: Buffer) => {
      if (cutting) return;
      upstream.write(d);
      if (cutMarker !== undefined && d.includes(cutMarker)) {
        cutMarker = undefined;
        // Redis reads to the end of what was sent (a reset could drop it unread), answers into the void and closes;
        // then the client's side is cut: it learns of the cut only once Redis has carried the command out
        cutting = true;
        upstream.end();
      }
    });
    upstream.on('data', (d: Buffer) => {
      if (cutting) return;
      if (holdMarker !== undefined && !released && d.includes(holdMarker)) {
        holdMarker = undefined;
        holding = true;
        kept.push(() => {
          holding = false;
          for (const b of later.splice(0)) client.write(b);
        });
        onHeld();
      }
      if (holding) later.push(d);
      else client.write(d);
    });
    const end = (): void => {
      if (!pairs.delete(pair)) return;
      if (cutting) cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get cuts() {
      return cuts;
    },
    cutAfter: (marker) => {
      cutMarker = Buffer.from(marker);
    },
    holdAnswer: (marker) => {
      holdMarker = Buffer.from(marker);
      return new Promise<void>((resolve) => (onHeld = resolve));
    },
    release: () => {
      released = true;
      for (const k of kept.splice(0)) k();
    },
    cutAll,
    blackhole: () => {
      blackholed = true;
      for (const [a, b] of pairs) {
        a.pause();
        b.pause();
      }
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      cutAll();
      await closed;
    },
  };
}
