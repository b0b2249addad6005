// The health server (node:http): /healthz and /readyz for probes, /metrics for Prometheus, /status for people
// and `memshim status`. Everything it answers comes from a StatusReport, which holds no env or argv value.
// A failure inside a handler answers 500 and is logged once per kind; it never takes memshim (PID 1) down.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../common/log.js';
import { childUp, type StatusReport } from './status-report.js';
import type { Metrics } from './metrics.js';

/** Connections held at once; a new one past this closes the oldest (docs/monitoring.md "Health server"). */
export const MAX_CONNECTIONS = 64;
/**
 * A request's headers must arrive within this from the connection (a silent client too: Node counts from the
 * accept), the whole request within REQUEST_TIMEOUT_MS.
 */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Keep-alive sockets must not delay memshim's exit. */
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** How often Node checks the headers and request timeouts (its default, 30 s, on top of 60 s: the ~90 s seen). */
const CHECK_INTERVAL_MS = 1_000;

export interface HealthServerOptions {
  host: string;
  port: number;
  log: Logger;
  snapshot: () => StatusReport;
}

export interface HealthServer {
  /** The port actually bound (differs from the option when it was 0). */
  port: number;
  close(): Promise<void>;
}

/** 200 while the main process runs and memshim is not shutting down; 503 otherwise. */
export function isAlive(report: StatusReport): boolean {
  return childUp(report.child);
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { log, snapshot } = options;
  let metrics: Metrics | null = null;
  const failures = new Set<string>();

  const send = (res: ServerResponse, status: number, type: string, body: string, head: boolean) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(head ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', false);
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz': {
        const report = snapshot();
        const alive = isAlive(report);
        const why = !report.child?.running ? 'the process is not running' : 'shutting down';
        return send(res, alive ? 200 : 503, 'text/plain; charset=utf-8', alive ? 'ok\n' : `${why}\n`, head);
      }
      case '/status':
        return send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(snapshot(), null, 2)}\n`, head);
      case '/metrics': {
        metrics ??= (await import('./metrics.js')).createMetrics(snapshot);
        return send(res, 200, metrics.contentType, await metrics.render(), head);
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found: /healthz /readyz /metrics /status\n', head);
    }
  };

  // Probes and scrapers send a whole request at once and want no long connections. A client that trickles its
  // headers, or connects and says nothing, is closed within seconds instead of Node's minute and more; and a
  // flood of connections is capped by closing the oldest, so memory stays bounded and a new probe still gets in.
  const server = createServer(
    {
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!failures.has(message)) {
          failures.add(message);
          log.error({ event: 'health_error', path: (req.url ?? '').split('?', 1)[0] }, `health server: ${message}`);
        }
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
        else res.destroy();
      });
    },
  );
  // Every connection, oldest first (a Set iterates in insertion order).
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size > MAX_CONNECTIONS) open.values().next().value?.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  log.info(
    { event: 'health_server', host: options.host, port },
    `serving /healthz /readyz /metrics /status on ${options.host}:${port}`,
  );

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
