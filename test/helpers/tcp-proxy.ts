import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy on a loopback port to a store server: a store outage under the
 * test's control that never touches the shared server itself. `close()` cuts
 * every open connection and stops listening (connects are then refused);
 * `open()` listens again on the same port; `retarget()` stands for a virtual
 * IP moving to another server.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  /**
   * Points the proxy at another server, as a virtual IP moves to a promoted
   * standby: open connections are cut (they were to the old server), new
   * ones reach the new one.
   */
  retarget(host: string, port: number): void {
    this.targetHost = host;
    this.targetPort = port;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Starts a proxy on a free loopback port, forwarding to host:port. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.open();
    return proxy;
  }

  /** The loopback port clients connect to; the same across close() and open(). */
  get listenPort(): number {
    return this.port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  open(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((client) => {
      const upstream = tcpConnect(this.targetPort, this.targetHost);
      const both = [client, upstream];
      for (const s of both) {
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          // One side gone: the other goes too, as when a server dies.
          for (const other of both) other.destroy();
        });
        s.on('error', () => {
          for (const other of both) other.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (address && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  /** Destroys every open connection and stops listening; resolves once the port is released. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
