import client from 'prom-client';
import type { Events } from '../core/events.js';

/** Prometheus metrics of one ticketd process, served at GET /metrics. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: 'ticketd_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: 'ticketd_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly tickets = new client.Counter({
    name: 'ticketd_tickets_total',
    help: 'Opaque tickets by lifecycle event (created, used, deleted, expired)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  private readonly ozRefusals = new client.Counter({
    name: 'ticketd_oz_refusals_total',
    help: 'Oz requests refused with a 401, by reason (Bad mac, Stale timestamp, Invalid nonce, Invalid grant, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(events: Events) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'ticketd_' });
    const created = this.tickets.labels('created');
    const used = this.tickets.labels('used');
    const deleted = this.tickets.labels('deleted');
    const expired = this.tickets.labels('expired');
    events.on('ticket.created', () => created.inc());
    events.on('ticket.used', () => used.inc());
    events.on('ticket.deleted', () => deleted.inc());
    events.on('ticket.expired', (e) => expired.inc(e.count));
    events.on('oz.refused', (e) => this.ozRefusals.labels(e.reason).inc());
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.labels(method, route, String(status)).inc();
    this.latency.labels(route).observe(seconds);
  }
}
