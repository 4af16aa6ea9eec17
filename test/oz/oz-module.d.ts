/** The parts of the `oz` package (5.0.3, devDependency: its client for the interop test) that tests use. */
declare module 'oz' {
  interface OzTicket {
    id: string;
    key: string;
    algorithm: string;
    app: string;
    exp: number;
    scope: string[];
    grant?: string;
    user?: string;
    dlg?: string;
    ext?: Record<string, unknown>;
  }
  interface Reply {
    code: number;
    result: Record<string, unknown>;
    ticket: OzTicket;
  }
  class Connection {
    constructor(options: { uri: string; credentials: { id: string; key: string; algorithm: string } });
    request(path: string, ticket: OzTicket, options?: { method?: string; payload?: unknown }): Promise<Reply>;
    app(path: string, options?: { method?: string; payload?: unknown }): Promise<Reply>;
    reissue(ticket: OzTicket): Promise<OzTicket>;
  }
  const Oz: {
    client: {
      Connection: typeof Connection;
      header(uri: string, method: string, ticket: OzTicket, options?: Record<string, unknown>): { header: string };
    };
    server: {
      authenticate(
        req: unknown,
        encryptionPassword: string | Record<string, string>,
        options?: Record<string, unknown>,
      ): Promise<{ ticket: OzTicket & { ext?: unknown }; artifacts: Record<string, unknown> }>;
    };
  };
  export = Oz;
}
