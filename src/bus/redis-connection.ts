/**
 * Connections to Redis (node-redis) as the bus needs them: the address from the configuration (`daemon.redis.url`,
 * never with credentials), the ACL user, password and TLS from the environment only:
 *
 *   SWITCHYARD_REDIS_USERNAME   ACL user (default: the default user)
 *   SWITCHYARD_REDIS_PASSWORD   its password
 *   SWITCHYARD_REDIS_TLS=1      TLS even for a redis:// URL (rediss:// always uses TLS)
 *   SWITCHYARD_REDIS_CA_FILE    PEM file of the CA that signed the server's certificate (default: the system's)
 *
 * Every connection reconnects on its own with a capped backoff, counts its reconnects, fails commands at once while
 * it is down (no offline queue: a caller that must not lose a command keeps it and tries again), and logs errors at
 * most once per state change (an outage is one warning, not one per retry).
 */
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls: boolean;
  readonly ca?: string | undefined;
}

/** The settings of `daemon.redis.url` with the credentials of the environment. */
export function redisSettings(url: string, env: NodeJS.ProcessEnv): RedisSettings {
  const username = nonEmpty(env.SWITCHYARD_REDIS_USERNAME);
  const password = nonEmpty(env.SWITCHYARD_REDIS_PASSWORD);
  const caFile = nonEmpty(env.SWITCHYARD_REDIS_CA_FILE);
  const tls = url.startsWith('rediss:') || env.SWITCHYARD_REDIS_TLS === '1' || env.SWITCHYARD_REDIS_TLS === 'true';
  return { url, username, password, tls, ca: caFile === undefined ? undefined : readFileSync(caFile, 'utf8') };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Where a connection goes, for logs (never the credentials). */
export function redisWhere(s: RedisSettings): string {
  const u = new URL(s.url);
  return `${s.tls ? 'rediss' : 'redis'}://${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

export interface RedisConnectionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RedisConnectionOptions {
  /** Shown in logs: what this connection is for (events, commands, leases...). */
  readonly role: string;
  readonly log: RedisConnectionLog;
  /** Longest wait between reconnection attempts (ms). Default 2000. */
  readonly maxBackoffMs?: number;
  /** Connection attempt timeout (ms). Default 2000. */
  readonly connectTimeoutMs?: number;
}

/** A node-redis client with its reconnects counted. */
export interface RedisConnection {
  readonly client: RedisClient;
  readonly where: string;
  /** Times the connection was lost and made again. */
  readonly reconnects: number;
  readonly up: boolean;
  /** Connect (resolves once connected; the client keeps retrying in the background when it is not). */
  connect(): Promise<void>;
  /** Close now (commands in flight fail). */
  close(): Promise<void>;
}

export function redisConnection(settings: RedisSettings, o: RedisConnectionOptions): RedisConnection {
  const maxBackoff = o.maxBackoffMs ?? 2000;
  const client = createClient({
    url: settings.url,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: o.connectTimeoutMs ?? 2000,
      reconnectStrategy: (retries: number) => Math.min(maxBackoff, 50 * 2 ** Math.min(retries, 10)),
      ...(settings.tls ? { tls: true as const, ...(settings.ca === undefined ? {} : { ca: settings.ca }) } : {}),
    },
  });
  const where = redisWhere(settings);
  let reconnects = 0;
  let up = false;
  let everUp = false;
  let warned = false;
  let closed = false;
  client.on('ready', () => {
    if (everUp) reconnects++;
    o.log.info({ redis: where, role: o.role, reconnects }, 'redis connected');
    up = true;
    everUp = true;
    warned = false;
  });
  client.on('error', (err: unknown) => {
    // one warning per outage, not one per retry
    if (!warned && !closed) o.log.warn({ redis: where, role: o.role, err: err instanceof Error ? err.message : String(err) }, 'redis unreachable: retrying');
    warned = true;
    up = false;
  });
  client.on('end', () => {
    up = false;
  });
  return {
    client,
    where,
    get reconnects() {
      return reconnects;
    },
    get up() {
      return up && client.isReady;
    },
    async connect() {
      if (!client.isOpen) await client.connect();
    },
    async close() {
      closed = true;
      const destroy = (): void => {
        try {
          client.destroy();
        } catch {
          // never connected: nothing to close
        }
      };
      if (client.isOpen) await client.close().catch(destroy);
      else destroy();
    },
  };
}
