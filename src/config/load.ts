import { readFileSync } from 'node:fs';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { redactUrl } from '../store/open.js';
import { type Config, ConfigSchema, ENV } from './schema.js';

const SECRET_SETTINGS = new Set(['master_token']);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** Path of a JSON config file. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Settings from command-line flags (dotted paths); they win over everything else. */
  flags?: Record<string, unknown>;
}

/**
 * The effective config: defaults < file < environment < flags, validated as a
 * whole. A bad value throws a ConfigError naming the setting and where it came from.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const origin = new Map<string, string>();
  const merged: Record<string, unknown> = {};

  if (sources.file) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${sources.file}: ${(err as Error).message}`);
    }
    let fileValues: unknown;
    try {
      fileValues = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${sources.file} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
      throw new ConfigError(`config file ${sources.file} must hold a JSON object`);
    }
    Object.assign(merged, fileValues);
    for (const key of Object.keys(fileValues)) origin.set(key, `config file ${sources.file}`);
  }

  const env = sources.env ?? {};
  for (const [name, spec] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, spec.path, fromEnv(name, raw, spec.type));
    origin.set(spec.path, `environment ${name}`);
  }

  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(merged, path, value);
    origin.set(path, `flag --${path}`);
  }

  const withDefaults = Value.Default(ConfigSchema, merged);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const setting = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const from = origin.get(setting) ?? origin.get(setting.split('.')[0] ?? '') ?? 'defaults';
    const detail =
      first.type !== ValueErrorType.ObjectAdditionalProperties
        ? first.message.toLowerCase()
        : /^\/tenants\/[^/]*$/.test(first.path)
          ? 'is not a valid tenant name (1-100 of A-Z a-z 0-9 . _ -)'
          : 'is not a known setting';
    // A secret setting's value is never echoed.
    const secret = SECRET_SETTINGS.has(setting) || setting.startsWith('oz.iron_password');
    const got = secret
      ? '(hidden)'
      : setting === 'store' && typeof first.value === 'string'
        ? JSON.stringify(redactUrl(first.value))
        : JSON.stringify(first.value);
    throw new ConfigError(`invalid setting "${setting}" (from ${from}): ${detail}; got ${got}`);
  }
  const config = withDefaults as Config;
  const { port } = parseListen(config.listen);
  if (port < 1 || port > 65535) {
    throw new ConfigError(
      `invalid setting "listen" (from ${origin.get('listen') ?? 'defaults'}): port must be 1-65535`,
    );
  }
  return config;
}

function fromEnv(name: string, raw: string, type: 'string' | 'boolean' | 'integer'): unknown {
  if (type === 'string') return raw;
  if (type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`invalid setting ${name}: expected true or false, got "${raw}"`);
  }
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`invalid setting ${name}: expected an integer, got "${raw}"`);
  return Number(raw);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
}

/** Splits `HOST:PORT` (IPv6 hosts in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(i + 1)) };
}
