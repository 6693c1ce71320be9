/**
 * Watch streams: initial state (no resourceVersion or "0") or replay from the event log after a given
 * resourceVersion (410 Expired ERROR event when it is older than the compaction point), then live changes,
 * with selector transitions (an object leaving the selection is DELETED for this watcher), periodic
 * BOOKMARKs, timeoutSeconds, and dropAll() for fault injection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from './contract.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import type { Matcher } from './selectors.js';
import { statusBody } from './status.js';
import type { LogEntry, Store } from './store.js';
import { toTable, type IncludeObject } from './table.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace?: string;
  matches: Matcher;
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  /** A Table per event (with that includeObject), or false for the objects themselves. */
  table: IncludeObject | false;
}

export class Watches {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly bookmarkMs: () => number
  ) {}

  serve(req: IncomingMessage, res: ServerResponse, w: WatchRequest): void {
    const { def } = w;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private'
    });
    res.flushHeaders();
    const inScope = (o: KubeObject | undefined) =>
      !!o && (!def.namespaced || !w.namespace || o.metadata.namespace === w.namespace) && w.matches(o);
    const send = (type: string, object: unknown) => {
      if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const sendObj = (type: string, o: KubeObject) =>
      send(type, w.table ? toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, w.table) : o);
    const onChange = (e: LogEntry) => {
      if (e.def !== def) return;
      const was = inScope(e.prev);
      const is = e.type !== 'DELETED' && inScope(e.object);
      if (e.type === 'DELETED') {
        if (inScope(e.object) || was) sendObj('DELETED', e.object);
      } else if (is && was) sendObj('MODIFIED', e.object);
      else if (is) sendObj('ADDED', e.object);
      else if (was) sendObj('DELETED', e.object);
    };

    let unsubscribe = () => {};
    const timers: { timeout?: NodeJS.Timeout; bookmark?: NodeJS.Timeout } = {};
    const end = () => {
      unsubscribe();
      clearTimeout(timers.timeout);
      clearTimeout(timers.bookmark);
      this.open.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.open.add(end);
    req.on('close', end);
    res.on('close', end);

    const rv = w.resourceVersion;
    if (!rv || rv === '0') {
      for (const o of this.store.list(def, w.namespace).items) if (inScope(o)) sendObj('ADDED', o);
    } else {
      const changes = this.store.changesSince(Number(rv));
      if (changes === 'expired') {
        send('ERROR', statusBody(410, 'Expired', `too old resource version: ${rv} (${this.store.compactionPoint()})`));
        end();
        return;
      }
      changes.forEach(onChange);
    }
    unsubscribe = this.store.subscribeInternal(onChange);
    if (w.timeoutSeconds && w.timeoutSeconds > 0) timers.timeout = setTimeout(end, w.timeoutSeconds * 1000);
    if (w.bookmarks) {
      const tick = () => {
        send('BOOKMARK', {
          kind: def.kind,
          apiVersion: apiVersionOf(def),
          metadata: { resourceVersion: this.store.currentRv() }
        });
        timers.bookmark = setTimeout(tick, this.bookmarkMs());
      };
      timers.bookmark = setTimeout(tick, this.bookmarkMs());
    }
  }

  /** End every open watch stream (clients re-watch from their last resourceVersion). */
  dropAll(): void {
    for (const end of [...this.open]) end();
  }
}
