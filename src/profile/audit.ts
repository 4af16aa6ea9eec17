import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuditLog, tokenActor } from '../core/audit.js';

/**
 * The audit log of the management routes (docs/admin.md, "Audit log"):
 * tenants, profiles and access tokens changed through /api/1 are recorded as
 * the admin API's changes are, with the calling access token's first 8
 * characters as the actor. Recorded before the answer leaves, whatever its
 * outcome, once the access token was accepted: a caller without one changes
 * nothing and cannot fill the log.
 */
export function auditManagement(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const action = req.routeOptions.config?.audit;
    const tokenId = (req.query as Record<string, unknown> | undefined)?.accessTokenId;
    if (!action || !req.profileActor || typeof tokenId !== 'string') return payload;
    const answer = typeof payload === 'string' ? parse(payload) : {};
    const ok = reply.statusCode < 400;
    const { tenant, target } = subject(action, req, ok ? answer : {});
    await audit
      .record({
        actor: tokenActor(tokenId),
        address: req.ip ?? null,
        action,
        tenant,
        target,
        outcome: ok ? 'ok' : String(answer.errorCode ?? reply.statusCode),
      })
      // A store that fails here leaves the change's own answer as it was.
      .catch((err: unknown) => req.log.warn({ err }, 'audit record not written'));
    return payload;
  });
}

function parse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, 200) : null);

/** The tenant and the target of a management call: from its path and parameters, and from its answer when it succeeded. */
function subject(action: string, req: FastifyRequest, answer: Record<string, unknown>) {
  const path = (req.params ?? {}) as Record<string, unknown>;
  const params = (req.query ?? {}) as Record<string, unknown>;
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  if (action.startsWith('tenant.')) {
    const name = text(path.name) ?? text(body.name) ?? text(answer.name);
    return { tenant: name, target: name };
  }
  if (action.startsWith('access-token.')) {
    // The id is the credential itself: only its first 8 characters are kept.
    const id = text(path.id) ?? text(answer.id);
    return { tenant: null, target: id === null ? text(body.application) : id.slice(0, 8) };
  }
  return {
    tenant: text(answer.tenant) ?? text(params.tenantName),
    target: text(path.id) ?? text(answer.id) ?? text(params.username),
  };
}
