import { describeSystemFuzz } from './support/system.js';

// GET /v1/ping, /v1/info, /openapi.json, /metrics, /livez, /readyz (and HEAD): always 200 with the documented body.
// Any method on near-miss, random and badly percent-encoded paths: 404 102001, whatever the body.
describeSystemFuzz('system.fuzz', ['/v1/ping', '/v1/info', '/openapi.json', '/metrics', '/livez', '/readyz'], true);
