import type { FastifyOtelInstrumentation } from '@fastify/otel';
import { type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';

/**
 * OpenTelemetry traces over OTLP/HTTP (docs/operations.md, "Tracing"), on
 * when the standard environment names an endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`),
 * off otherwise — and then the SDK is not even loaded (it is imported when
 * tracing starts), and nothing is in any path: no hook, no wrapper, no span. A span per request named by its route (`POST
 * /v1/tickets`), with @fastify/otel's spans of the hooks and the handler;
 * under them a span per store call (`store tickets.create`) and per password
 * hash. No attribute holds a secret: the URL is replaced by the route
 * pattern (URLs of some surfaces carry tickets and access tokens), no
 * exception is recorded (messages name ids), no argument of a store call is.
 */
export interface Tracing {
  tracer: Tracer;
  /** The Fastify plugin, registered before every route. */
  fastify: FastifyOtelInstrumentation;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** Tracing as the OTel environment variables say, or undefined when they name no endpoint. */
export async function tracingFromEnv(env: Env, version: string): Promise<Tracing | undefined> {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!traces && !base) return undefined;
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  // As the specification has it: the signal's own endpoint as it is, the base one with /v1/traces.
  const url = traces || `${(base as string).replace(/\/+$/, '')}/v1/traces`;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not supported (http/protobuf or http/json)`);
  }
  const [
    { FastifyOtelInstrumentation },
    json,
    proto,
    { resourceFromAttributes },
    { BatchSpanProcessor },
    node,
    semconv,
  ] = await Promise.all([
    import('@fastify/otel'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const { ATTR_HTTP_ROUTE, ATTR_URL_PATH } = semconv;
  const exporter =
    protocol === 'http/json' ? new json.OTLPTraceExporter({ url }) : new proto.OTLPTraceExporter({ url });
  const provider = new node.NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'ticketd',
      'service.version': version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // The global provider, the AsyncLocalStorage context manager and W3C trace context propagation.
  provider.register();
  const fastify = new FastifyOtelInstrumentation({
    recordExceptions: false,
    requestHook: (span: Span, req: FastifyRequest) => {
      const route = req.routeOptions.url ?? 'unknown route';
      span.updateName(`${req.method} ${route}`);
      // Its URL may hold a ticket, a session or an access token: the pattern only.
      span.setAttribute(ATTR_URL_PATH, route);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
    },
  });
  fastify.setTracerProvider(provider);
  return { tracer: provider.getTracer('ticketd', version), fastify, shutdown: () => provider.shutdown() };
}

/**
 * The same object with each of its methods (own and inherited) running in a
 * span `<prefix><method>` under the active one. For the store and the
 * password hasher, made once at start when tracing is on.
 */
export function traced<T extends object>(
  tracer: Tracer,
  target: T,
  prefix: string,
  attributes: Record<string, string>,
): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'constructor') return value;
      return (...args: unknown[]) =>
        // Only inside a request's trace: the purge's and the delivery rounds' calls would each be a trace of their own.
        trace.getActiveSpan() === undefined
          ? value.apply(obj, args)
          : tracer.startActiveSpan(`${prefix}${key}`, { attributes }, (span) => {
              const failed = (err: unknown) => {
                // The error's kind only: messages may name ids.
                span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
                span.end();
                throw err;
              };
              let result: unknown;
              try {
                result = value.apply(obj, args);
              } catch (err) {
                failed(err);
              }
              if (!(result instanceof Promise)) {
                span.end();
                return result;
              }
              return result.then((v) => {
                span.end();
                return v;
              }, failed);
            });
    },
  });
}

/** The store with a span per call of each part (`store tickets.create`) and of its own methods. */
export function tracedStore<S extends { readonly kind: string }>(tracer: Tracer, store: S): S {
  const attributes = { 'db.system.name': store.kind };
  const parts = new Map<string, unknown>();
  const own = traced(tracer, store, 'store ', attributes);
  return new Proxy(store, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof key !== 'string') return value;
      if (typeof value === 'function') return Reflect.get(own, key);
      if (typeof value !== 'object' || value === null) return value;
      let part = parts.get(key);
      if (!part) {
        part = traced(tracer, value, `store ${key}.`, attributes);
        parts.set(key, part);
      }
      return part;
    },
  });
}
