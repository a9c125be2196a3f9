/**
 * A Lua script sent by its SHA1 (EVALSHA): a script runs once per batch of replies or events, and sending its text
 * every time costs the bytes on the wire and Redis a SHA1 of the text per call. When Redis does not have it (a
 * restart, SCRIPT FLUSH) the call is made once with EVAL, which also caches it there again.
 */
import { createHash } from 'node:crypto';

/** What a script call needs of a node-redis client. */
export interface ScriptClient {
  sendCommand(args: (string | Buffer)[]): Promise<unknown>;
}

export class LuaScript {
  readonly sha: string;

  constructor(readonly text: string) {
    this.sha = createHash('sha1').update(text).digest('hex');
  }

  /** The start of a call: push the keys, then ARGV, onto it and pass it to run(). */
  call(numKeys: number): (string | Buffer)[] {
    return ['EVALSHA', this.sha, String(numKeys)];
  }

  /** Sends a call made by call(); when Redis does not know the script, sends it again as EVAL (with the text). */
  async run(client: ScriptClient, args: (string | Buffer)[]): Promise<unknown> {
    try {
      return await client.sendCommand(args);
    } catch (err) {
      if (!String(err instanceof Error ? err.message : err).startsWith('NOSCRIPT')) throw err;
      args[0] = 'EVAL';
      args[1] = this.text;
      return client.sendCommand(args);
    }
  }
}
