/**
 * Types for the parts of `hawk` 9.0.2 (CommonJS, no bundled types) that
 * ticketd uses. Errors it throws are @hapi/boom errors: `isBoom`,
 * `output.statusCode`, `output.payload`, `output.headers`.
 */
declare module 'hawk' {
  namespace hawk {
    interface Credentials {
      id?: string;
      key: string;
      algorithm: string;
    }

    interface Artifacts {
      method?: string;
      host: string;
      port: number | string;
      resource?: string;
      ts: string | number;
      nonce?: string;
      hash?: string;
      ext?: string;
      app?: string;
      dlg?: string;
      mac?: string;
      id?: string;
    }

    /** A request described without node's request object. */
    interface RequestParts {
      method: string;
      url: string;
      host: string;
      port: number | string;
      authorization?: string | undefined;
      contentType?: string | undefined;
    }

    interface AuthenticateOptions {
      nonceFunc?: (key: string, nonce: string, ts: string) => Promise<void> | void;
      timestampSkewSec?: number;
      localtimeOffsetMsec?: number;
      payload?: string | Buffer;
      host?: string;
      port?: number;
    }

    interface HeaderOptions {
      credentials: Credentials & { id: string };
      ext?: string;
      timestamp?: number;
      nonce?: string;
      localtimeOffsetMsec?: number;
      payload?: string;
      contentType?: string;
      hash?: string;
      app?: string;
      dlg?: string;
    }

    interface BoomLike extends Error {
      isBoom: true;
      output: { statusCode: number; payload: Record<string, unknown>; headers: Record<string, string> };
    }
  }

  const hawk: {
    server: {
      authenticate<C extends hawk.Credentials>(
        req: hawk.RequestParts,
        credentialsFunc: (id: string) => Promise<C | null> | C | null,
        options?: hawk.AuthenticateOptions,
      ): Promise<{ credentials: C; artifacts: hawk.Artifacts }>;
      authenticatePayload(
        payload: string | Buffer,
        credentials: hawk.Credentials,
        artifacts: hawk.Artifacts,
        contentType?: string,
      ): void;
      header(
        credentials: hawk.Credentials,
        artifacts: hawk.Artifacts,
        options?: { ext?: string; payload?: string | Buffer; contentType?: string; hash?: string },
      ): string;
    };
    client: {
      header(uri: string, method: string, options: hawk.HeaderOptions): { header: string; artifacts: hawk.Artifacts };
      authenticate(
        res: { headers: Record<string, string | string[] | undefined> },
        credentials: hawk.Credentials,
        artifacts: hawk.Artifacts,
        options?: { payload?: string; required?: boolean },
      ): { headers: Record<string, Record<string, string>> };
    };
    crypto: {
      calculateMac(
        type: 'header' | 'response' | 'bewit',
        credentials: hawk.Credentials,
        options: hawk.Artifacts,
      ): string;
      calculatePayloadHash(payload: string | Buffer, algorithm: string, contentType?: string): string;
      timestampMessage(credentials: hawk.Credentials, localtimeOffsetMsec?: number): { ts: number; tsm: string };
    };
    utils: {
      parseAuthorizationHeader(header: string | undefined, keys?: string[]): Record<string, string>;
      unauthorized(message?: string, attributes?: Record<string, unknown>): hawk.BoomLike;
      limits: { maxMatchLength: number };
    };
  };
  export = hawk;
}
