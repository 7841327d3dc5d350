/**
 * Static checks for docker-compose.yml, the Dockerfile and .dockerignore.
 *
 * No Docker engine is needed: the files are parsed here and checked against the parts of the
 * Compose specification and of the Dockerfile syntax that this project uses, plus the wiring
 * contract of the notify-stats services (env variables, hosts, ports, start order).
 * Every checker returns a list of human-readable problems; an empty list means "fine".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';

export type Mapping = Record<string, unknown>;
export type Env = Record<string, string | undefined>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// YAML and Compose interpolation
// ---------------------------------------------------------------------------------------------

export interface LoadedYaml {
  doc: Mapping;
  problems: string[];
}

/** Parses a compose file the way Compose does: merge keys (`<<`) on, duplicate keys rejected. */
export function loadCompose(text: string): LoadedYaml {
  const parsed = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  const problems = [
    ...parsed.errors.map((e) => `YAML error: ${e.message}`),
    ...parsed.warnings.map((w) => `YAML warning: ${w.message}`),
  ];
  if (parsed.errors.length) return { doc: {}, problems };
  const value: unknown = parsed.toJS({ maxAliasCount: 1000 });
  if (!isMapping(value)) return { doc: {}, problems: [...problems, 'the compose file must be a mapping at the top level'] };
  return { doc: value, problems };
}

export interface Interpolated<T> {
  value: T;
  errors: string[];
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose variable interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` (defaults may nest).
 * Anything else after a `$` is an error, as in Compose.
 */
export function interpolate(input: string, env: Env): Interpolated<string> {
  const errors: string[] = [];
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== '$') {
      out += ch;
      i += 1;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      while (j < input.length && depth > 0) {
        if (input[j] === '{') depth += 1;
        else if (input[j] === '}') depth -= 1;
        j += 1;
      }
      if (depth !== 0) {
        errors.push(`invalid interpolation format in "${input}": unclosed \${`);
        return { value: out, errors };
      }
      const body = input.slice(i + 2, j - 1);
      const r = substitute(body, env);
      errors.push(...r.errors.map((e) => `${e} (in "${input}")`));
      out += r.value;
      i = j;
      continue;
    }
    const name = VAR_NAME.exec(input.slice(i + 1));
    if (name) {
      out += env[name[0]] ?? '';
      i += 1 + name[0].length;
      continue;
    }
    errors.push(`invalid interpolation format in "${input}": a lone "$" (write "$$" for a literal dollar)`);
    out += '$';
    i += 1;
  }
  return { value: out, errors };
}

function substitute(body: string, env: Env): Interpolated<string> {
  const name = VAR_NAME.exec(body);
  if (!name) return { value: '', errors: [`invalid interpolation format: "\${${body}}"`] };
  const varName = name[0];
  const rest = body.slice(varName.length);
  const value = env[varName];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  if (rest === '') return { value: value ?? '', errors: [] };
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) return { value: '', errors: [`invalid interpolation format: "\${${body}}"`] };
  const arg = interpolate(rest.slice(op[0].length), env);
  switch (op[0]) {
    case ':-':
      return nonEmpty ? { value: value ?? '', errors: [] } : arg;
    case '-':
      return set ? { value: value ?? '', errors: [] } : arg;
    case ':?':
      return nonEmpty ? { value: value ?? '', errors: [] } : { value: '', errors: [`required variable ${varName} is missing a value: ${arg.value}`] };
    case '?':
      return set ? { value: value ?? '', errors: [] } : { value: '', errors: [`required variable ${varName} is missing a value: ${arg.value}`] };
    case ':+':
      return nonEmpty ? arg : { value: '', errors: [] };
    default: // '+'
      return set ? arg : { value: '', errors: [] };
  }
}

/** Interpolates every string value of a parsed compose document (keys are left alone, as in Compose). */
export function interpolateTree(value: unknown, env: Env): Interpolated<unknown> {
  const errors: string[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = interpolate(v, env);
      errors.push(...r.errors);
      return r.value;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isMapping(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value), errors };
}

// ---------------------------------------------------------------------------------------------
// Compose structure
// ---------------------------------------------------------------------------------------------

/** Top-level keys of the Compose specification (plus `x-` extensions). */
export const TOP_LEVEL_KEYS = ['services', 'volumes', 'networks', 'configs', 'secrets', 'name', 'include'] as const;

/** Service keys of the Compose specification (compose-spec.json, definitions.service). */
export const SERVICE_KEYS = new Set([
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command',
  'configs', 'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period',
  'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset', 'credential_spec', 'depends_on', 'deploy', 'develop',
  'device_cgroup_rules', 'devices', 'dns', 'dns_opt', 'dns_search', 'domainname', 'entrypoint', 'env_file',
  'environment', 'expose', 'extends', 'external_links', 'extra_hosts', 'gpus', 'group_add', 'healthcheck',
  'hostname', 'image', 'init', 'ipc', 'isolation', 'label_file', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'models', 'network_mode', 'networks',
  'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit', 'platform', 'ports', 'post_start', 'pre_stop',
  'privileged', 'profiles', 'provider', 'pull_policy', 'pull_refresh_after', 'read_only', 'restart', 'runtime',
  'scale', 'secrets', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt',
  'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user', 'userns_mode', 'uts', 'volumes', 'volumes_from',
  'working_dir',
]);

const BUILD_KEYS = new Set([
  'context', 'dockerfile', 'dockerfile_inline', 'entitlements', 'args', 'ssh', 'labels', 'cache_from', 'cache_to',
  'no_cache', 'additional_contexts', 'network', 'pull', 'target', 'shm_size', 'extra_hosts', 'isolation',
  'privileged', 'secrets', 'tags', 'ulimits', 'platforms',
]);
const HEALTHCHECK_KEYS = new Set(['disable', 'interval', 'retries', 'test', 'timeout', 'start_period', 'start_interval']);
export const DEPENDS_ON_CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;
const NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
/** [[ip:]published:]target[/protocol], each port possibly a range. */
const PORT_SHORT = /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;

const isXKey = (k: string) => k.startsWith('x-');

export function servicesOf(doc: Mapping): Record<string, Mapping> {
  const services = doc.services;
  if (!isMapping(services)) return {};
  const out: Record<string, Mapping> = {};
  for (const [name, svc] of Object.entries(services)) if (isMapping(svc)) out[name] = svc;
  return out;
}

/** `environment` as a map, from either the mapping or the `KEY=VALUE` list form. */
export function environmentOf(service: Mapping): Record<string, string | undefined> {
  const env = service.environment;
  const out: Record<string, string | undefined> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      if (typeof item !== 'string') continue;
      const eq = item.indexOf('=');
      if (eq === -1) out[item] = undefined;
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else if (isMapping(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null || v === undefined ? undefined : String(v);
  }
  return out;
}

export interface Dependency {
  service: string;
  condition: string;
}

export function dependsOnOf(service: Mapping): Dependency[] {
  const deps = service.depends_on;
  if (Array.isArray(deps)) return deps.map((d) => ({ service: String(d), condition: 'service_started' }));
  if (isMapping(deps)) {
    return Object.entries(deps).map(([name, d]) => ({
      service: name,
      condition: isMapping(d) && typeof d.condition === 'string' ? d.condition : '',
    }));
  }
  return [];
}

/** A service's command as an argv list (the string form is split on blanks, enough for this project). */
export function commandOf(service: Mapping): string[] | undefined {
  const cmd = service.command;
  if (typeof cmd === 'string') return cmd.trim().split(/\s+/);
  if (Array.isArray(cmd)) return cmd.map(String);
  return undefined;
}

function hasHealthcheck(service: Mapping): boolean {
  const hc = service.healthcheck;
  if (!isMapping(hc)) return false;
  if (hc.disable === true || hc.disable === 'true') return false;
  const test = hc.test;
  if (Array.isArray(test)) return test.length > 0 && test[0] !== 'NONE';
  return typeof test === 'string' && test.length > 0;
}

export interface ComposeCheckOptions {
  /** Variables used for interpolation (the compose file is checked after interpolation, as Compose does). */
  env?: Env;
  /** Directory of the compose file, to resolve relative bind mounts and build contexts. */
  projectDir?: string;
}

/** The structural rules of the Compose specification that matter here. */
export function checkComposeStructure(raw: Mapping, options: ComposeCheckOptions = {}): string[] {
  const problems: string[] = [];
  const interpolated = interpolateTree(raw, options.env ?? {});
  problems.push(...interpolated.errors.map((e) => `interpolation: ${e}`));
  const doc = isMapping(interpolated.value) ? interpolated.value : {};

  for (const key of Object.keys(doc)) {
    if (isXKey(key)) continue;
    if (key === 'version') problems.push('top-level "version" is obsolete in the Compose specification; remove it');
    else if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) problems.push(`top-level key "${key}" is not allowed by the Compose specification`);
  }
  if ('name' in doc && (typeof doc.name !== 'string' || !PROJECT_NAME_PATTERN.test(doc.name))) {
    problems.push(`project name ${JSON.stringify(doc.name)} must match ${PROJECT_NAME_PATTERN}`);
  }
  for (const key of ['volumes', 'networks', 'configs', 'secrets'] as const) {
    const section = doc[key];
    if (section === undefined) continue;
    if (!isMapping(section)) {
      problems.push(`top-level "${key}" must be a mapping`);
      continue;
    }
    for (const [name, def] of Object.entries(section)) {
      if (!NAME_PATTERN.test(name)) problems.push(`${key}: name "${name}" must match ${NAME_PATTERN}`);
      if (def !== null && !isMapping(def)) problems.push(`${key}.${name} must be a mapping or empty`);
    }
  }
  const declaredVolumes = isMapping(doc.volumes) ? new Set(Object.keys(doc.volumes)) : new Set<string>();

  if (!isMapping(doc.services) || Object.keys(doc.services).length === 0) {
    problems.push('"services" must be a non-empty mapping');
    return problems;
  }
  const serviceNames = new Set(Object.keys(doc.services));
  for (const [name, svc] of Object.entries(doc.services)) {
    const where = `services.${name}`;
    if (!NAME_PATTERN.test(name)) problems.push(`${where}: service name must match ${NAME_PATTERN}`);
    if (!isMapping(svc)) {
      problems.push(`${where} must be a mapping`);
      continue;
    }
    for (const key of Object.keys(svc)) {
      if (!isXKey(key) && !SERVICE_KEYS.has(key)) problems.push(`${where}: unknown key "${key}"`);
    }
    if (svc.image === undefined && svc.build === undefined) problems.push(`${where}: needs "image" or "build"`);
    if (svc.image !== undefined && (typeof svc.image !== 'string' || svc.image === '')) problems.push(`${where}.image must be a non-empty string`);
    problems.push(...checkBuild(where, svc.build, options.projectDir));

    const cmd = svc.command;
    if (cmd !== undefined && cmd !== null && typeof cmd !== 'string' && !(Array.isArray(cmd) && cmd.every((c) => typeof c === 'string'))) {
      problems.push(`${where}.command must be a string or a list of strings`);
    }
    problems.push(...checkEnvironmentShape(where, svc.environment));

    // depends_on
    const deps = svc.depends_on;
    if (deps !== undefined) {
      if (Array.isArray(deps)) {
        for (const d of deps) if (typeof d !== 'string') problems.push(`${where}.depends_on entries must be service names`);
      } else if (isMapping(deps)) {
        for (const [target, spec] of Object.entries(deps)) {
          if (!isMapping(spec)) {
            problems.push(`${where}.depends_on.${target} must be a mapping with a condition`);
            continue;
          }
          for (const k of Object.keys(spec)) {
            if (!['condition', 'restart', 'required'].includes(k) && !isXKey(k)) problems.push(`${where}.depends_on.${target}: unknown key "${k}"`);
          }
          if (!(DEPENDS_ON_CONDITIONS as readonly unknown[]).includes(spec.condition)) {
            problems.push(`${where}.depends_on.${target}: condition ${JSON.stringify(spec.condition)} is not one of ${DEPENDS_ON_CONDITIONS.join(', ')}`);
          }
        }
      } else {
        problems.push(`${where}.depends_on must be a list or a mapping`);
      }
      for (const dep of dependsOnOf(svc)) {
        if (dep.service === name) problems.push(`${where}: depends on itself`);
        else if (!serviceNames.has(dep.service)) problems.push(`${where}: depends_on "${dep.service}", which is not a service`);
        else if (dep.condition === 'service_healthy') {
          const target = doc.services[dep.service];
          if (!isMapping(target) || !hasHealthcheck(target)) {
            problems.push(`${where}: waits for "${dep.service}" to be healthy, but "${dep.service}" has no healthcheck in the compose file`);
          }
        }
      }
    }

    // ports
    const ports = svc.ports;
    if (ports !== undefined) {
      if (!Array.isArray(ports)) problems.push(`${where}.ports must be a list`);
      else {
        for (const p of ports) {
          if (typeof p === 'string') {
            if (!PORT_SHORT.test(p)) problems.push(`${where}.ports: "${p}" is not [[ip:]host:]container[/protocol]`);
          } else if (isMapping(p)) {
            if (p.target === undefined) problems.push(`${where}.ports: long syntax needs "target"`);
          } else {
            problems.push(`${where}.ports: ${JSON.stringify(p)} must be a quoted string (YAML 1.1 reads xx:yy as a base-60 number)`);
          }
        }
      }
    }

    // healthcheck
    const hc = svc.healthcheck;
    if (hc !== undefined) {
      if (!isMapping(hc)) problems.push(`${where}.healthcheck must be a mapping`);
      else {
        for (const k of Object.keys(hc)) if (!HEALTHCHECK_KEYS.has(k) && !isXKey(k)) problems.push(`${where}.healthcheck: unknown key "${k}"`);
        const test = hc.test;
        if (Array.isArray(test)) {
          if (!['NONE', 'CMD', 'CMD-SHELL'].includes(String(test[0]))) problems.push(`${where}.healthcheck.test must start with NONE, CMD or CMD-SHELL`);
          if (test[0] !== 'NONE' && test.length < 2) problems.push(`${where}.healthcheck.test has no command`);
          if (!test.every((t) => typeof t === 'string')) problems.push(`${where}.healthcheck.test items must be strings`);
        } else if (typeof test !== 'string' && hc.disable !== true) {
          problems.push(`${where}.healthcheck.test must be a string or a list`);
        }
        for (const k of ['interval', 'timeout', 'start_period', 'start_interval']) {
          const v = hc[k];
          if (v !== undefined && (typeof v !== 'string' || !DURATION.test(v))) problems.push(`${where}.healthcheck.${k}: ${JSON.stringify(v)} is not a duration like 10s or 1m30s`);
        }
        if (hc.retries !== undefined && !(Number.isInteger(Number(hc.retries)) && Number(hc.retries) > 0)) {
          problems.push(`${where}.healthcheck.retries must be a positive integer`);
        }
      }
    }

    if (svc.restart !== undefined && (typeof svc.restart !== 'string' || !RESTART.test(svc.restart))) {
      problems.push(`${where}.restart: ${JSON.stringify(svc.restart)} is not no, always, unless-stopped or on-failure[:N] (quote "no")`);
    }
    for (const k of ['stop_grace_period']) {
      const v = svc[k];
      if (v !== undefined && (typeof v !== 'string' || !DURATION.test(v))) problems.push(`${where}.${k}: ${JSON.stringify(v)} is not a duration`);
    }

    // volumes: named volumes must be declared, relative bind sources must exist
    const volumes = svc.volumes;
    if (volumes !== undefined) {
      if (!Array.isArray(volumes)) problems.push(`${where}.volumes must be a list`);
      else {
        for (const v of volumes) {
          let source: string | undefined;
          let type: string;
          if (typeof v === 'string') {
            const parts = v.split(':');
            if (parts.length === 1) continue; // anonymous volume
            source = parts[0] ?? '';
            type = /^[./~]/.test(source) ? 'bind' : 'volume';
          } else if (isMapping(v)) {
            type = String(v.type);
            source = typeof v.source === 'string' ? v.source : undefined;
          } else {
            problems.push(`${where}.volumes: ${JSON.stringify(v)} must be a string or a mapping`);
            continue;
          }
          if (type === 'volume' && source && !declaredVolumes.has(source)) {
            problems.push(`${where}.volumes: named volume "${source}" is not declared under top-level "volumes"`);
          }
          if (type === 'bind' && source && options.projectDir && !path.isAbsolute(source) && !source.startsWith('~')) {
            if (!existsSync(path.resolve(options.projectDir, source))) problems.push(`${where}.volumes: bind source "${source}" does not exist`);
          }
        }
      }
    }
  }
  problems.push(...findDependencyCycles(servicesOf(doc)));
  return problems;
}

function checkBuild(where: string, build: unknown, projectDir: string | undefined): string[] {
  if (build === undefined) return [];
  const problems: string[] = [];
  let context = '.';
  let dockerfile = 'Dockerfile';
  if (typeof build === 'string') context = build;
  else if (isMapping(build)) {
    for (const k of Object.keys(build)) if (!BUILD_KEYS.has(k) && !isXKey(k)) problems.push(`${where}.build: unknown key "${k}"`);
    if (build.context !== undefined) context = String(build.context);
    if (build.dockerfile !== undefined) dockerfile = String(build.dockerfile);
  } else {
    problems.push(`${where}.build must be a string or a mapping`);
    return problems;
  }
  if (projectDir && !/^[a-z]+:\/\//.test(context)) {
    const dir = path.resolve(projectDir, context);
    if (!existsSync(dir)) problems.push(`${where}.build.context "${context}" does not exist`);
    else if (!(isMapping(build) && build.dockerfile_inline !== undefined) && !existsSync(path.resolve(dir, dockerfile))) {
      problems.push(`${where}.build: ${dockerfile} not found in "${context}"`);
    }
  }
  return problems;
}

function checkEnvironmentShape(where: string, env: unknown): string[] {
  if (env === undefined || env === null) return [];
  const problems: string[] = [];
  if (Array.isArray(env)) {
    for (const item of env) if (typeof item !== 'string') problems.push(`${where}.environment: list items must be KEY=VALUE strings`);
  } else if (isMapping(env)) {
    for (const [k, v] of Object.entries(env)) {
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) problems.push(`${where}.environment.${k} must be a scalar`);
    }
  } else problems.push(`${where}.environment must be a mapping or a list`);
  return problems;
}

function findDependencyCycles(services: Record<string, Mapping>): string[] {
  const problems: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      problems.push(`depends_on cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
      return;
    }
    state.set(name, 'visiting');
    const svc = services[name];
    if (svc) for (const d of dependsOnOf(svc)) if (services[d.service]) visit(d.service, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(services)) visit(name, []);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Image references
// ---------------------------------------------------------------------------------------------

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `[registry[:port]/]path[:tag][@digest]`; a `:port` of the registry is not a tag. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const rest = at === -1 ? ref : ref.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const slash = rest.lastIndexOf('/');
  const out: ImageRef = colon > slash ? { name: rest.slice(0, colon), tag: rest.slice(colon + 1) } : { name: rest };
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** Problem with an image reference's pinning, if any. */
export function imagePinProblem(ref: string): string | undefined {
  const { tag, digest } = parseImageRef(ref);
  if (digest !== undefined) return /^sha256:[0-9a-f]{64}$/.test(digest) ? undefined : `"${ref}" has a malformed digest`;
  if (tag === undefined || tag === '') return `"${ref}" has no tag (it would mean :latest)`;
  if (tag === 'latest') return `"${ref}" uses the moving tag "latest"`;
  return undefined;
}

/** Every `image:` (after interpolation) has a tag other than `latest`, or a digest. */
export function checkImagesPinned(raw: Mapping, env: Env = {}): string[] {
  const doc = interpolateTree(raw, env).value;
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(servicesOf(isMapping(doc) ? doc : {}))) {
    if (typeof svc.image !== 'string') continue;
    const p = imagePinProblem(svc.image);
    if (p) problems.push(`services.${name}.image: ${p}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The notify-stats wiring contract
// ---------------------------------------------------------------------------------------------

export const CLI_COMMANDS = ['ingest', 'rollups', 'api', 'migrate', 'start'] as const;
/** Commands that read KAFKA_BROKERS (services/cli/src/env.ts: the api and migrate only talk to ClickHouse). */
const KAFKA_COMMANDS = new Set(['ingest', 'rollups', 'start']);
const LONG_RUNNING = new Set(['ingest', 'rollups', 'api', 'start']);
const CLICKHOUSE_HTTP_PORT = { 'http:': '8123', 'https:': '8443' } as const;

/** The services built from this repository (the ones that run bin/notify-stats.mjs). */
export function appServices(doc: Mapping): Record<string, Mapping> {
  return Object.fromEntries(Object.entries(servicesOf(doc)).filter(([, s]) => s.build !== undefined));
}

function dependencyClosure(services: Record<string, Mapping>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const cur = stack.pop() as string;
    for (const d of dependsOnOf(services[cur] ?? {})) {
      if (!seen.has(d.service)) {
        seen.add(d.service);
        stack.push(d.service);
      }
    }
  }
  return seen;
}

interface Listener {
  name: string;
  host: string;
  port: string;
}

function parseListeners(value: string | undefined): Listener[] {
  if (!value) return [];
  return value.split(',').flatMap((l) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(l.trim());
    return m ? [{ name: m[1] ?? '', host: m[2] ?? '', port: m[3] ?? '' }] : [];
  });
}

/** Env, hosts, ports and start order of ingest/rollups/api/migrate against kafka/clickhouse. */
export function checkAppServices(raw: Mapping, options: ComposeCheckOptions = {}): string[] {
  const problems: string[] = [];
  const interpolated = interpolateTree(raw, options.env ?? {}).value;
  const doc = isMapping(interpolated) ? interpolated : {};
  const services = servicesOf(doc);
  const rawServices = servicesOf(raw);
  const apps = appServices(doc);

  for (const expected of ['migrate', 'ingest', 'rollups', 'api']) {
    const svc = apps[expected];
    if (!svc) {
      problems.push(`no "${expected}" service built from this repository`);
      continue;
    }
    const cmd = commandOf(svc);
    if (cmd?.[0] !== expected) problems.push(`services.${expected}: command should be ["${expected}"], found ${JSON.stringify(svc.command)}`);
  }
  const migrateName = Object.keys(apps).find((n) => commandOf(apps[n] ?? {})?.[0] === 'migrate');

  for (const [name, svc] of Object.entries(apps)) {
    const where = `services.${name}`;
    const cmd = commandOf(svc)?.[0];
    if (cmd === undefined || !(CLI_COMMANDS as readonly string[]).includes(cmd)) {
      problems.push(`${where}: command ${JSON.stringify(svc.command)} is not one of ${CLI_COMMANDS.join(', ')}`);
      continue;
    }
    const env = environmentOf(svc);
    const deps = dependsOnOf(svc);
    const closure = dependencyClosure(services, name);

    if (env.NODE_ENV !== 'production') problems.push(`${where}: NODE_ENV should be production`);
    if (!env.LOG_LEVEL) problems.push(`${where}: LOG_LEVEL is not set`);

    // ClickHouse
    const chUrl = env.CLICKHOUSE_URL;
    if (!chUrl) problems.push(`${where}: CLICKHOUSE_URL is not set`);
    else problems.push(...checkClickhouseUrl(where, chUrl, services, closure));

    // Kafka
    if (KAFKA_COMMANDS.has(cmd)) {
      const brokers = env.KAFKA_BROKERS;
      if (!brokers) problems.push(`${where}: KAFKA_BROKERS is not set`);
      else {
        for (const broker of brokers.split(',')) {
          const m = /^([^:,\s]+):(\d+)$/.exec(broker.trim());
          if (!m) {
            problems.push(`${where}: KAFKA_BROKERS entry "${broker}" is not host:port`);
            continue;
          }
          const [, host = '', port = ''] = m;
          const kafka = services[host];
          if (!kafka) {
            problems.push(`${where}: KAFKA_BROKERS host "${host}" is not a compose service`);
            continue;
          }
          const kenv = environmentOf(kafka);
          const advertised = parseListeners(kenv.KAFKA_ADVERTISED_LISTENERS);
          const controllers = new Set((kenv.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(','));
          if (!advertised.some((l) => l.host === host && l.port === port && !controllers.has(l.name))) {
            problems.push(
              `${where}: KAFKA_BROKERS "${host}:${port}" is not an advertised listener of "${host}" (${kenv.KAFKA_ADVERTISED_LISTENERS ?? 'none'})`,
            );
          }
          if (!deps.some((d) => d.service === host && d.condition === 'service_healthy')) {
            problems.push(`${where}: should depend on "${host}" with condition service_healthy`);
          }
        }
      }
      const partitions = Number(env.KAFKA_TOPIC_PARTITIONS);
      if (!(Number.isInteger(partitions) && partitions >= 1)) problems.push(`${where}: KAFKA_TOPIC_PARTITIONS must be a positive integer`);
    }

    // start order and restart policy
    if (LONG_RUNNING.has(cmd) && migrateName && !deps.some((d) => d.service === migrateName && d.condition === 'service_completed_successfully')) {
      problems.push(`${where}: should depend on "${migrateName}" with condition service_completed_successfully`);
    }
    if (cmd === 'migrate' && typeof svc.restart === 'string' && /^(always|unless-stopped)$/.test(svc.restart)) {
      problems.push(`${where}: a one-shot service must not restart "${svc.restart}" (it would never complete)`);
    }

    // per-command contract
    if (cmd === 'api') {
      for (const key of ['PORT', 'ADMIN_CLIENT_ID', 'ADMIN_CLIENT_SECRET', 'OPERATOR_CLIENT_ID', 'OPERATOR_CLIENT_SECRET']) if (!env[key]) problems.push(`${where}: ${key} is not set`);
      // The report reader's and the operator's secrets (services/api/src/env.ts requires both in production).
      for (const secret of ['ADMIN_CLIENT_SECRET', 'OPERATOR_CLIENT_SECRET']) {
        const rawSecret = environmentOf(rawServices[name] ?? {})[secret];
        if (rawSecret !== undefined && !new RegExp(`^\\$\\{${secret}:?\\?[^}]*\\}$`).test(rawSecret)) {
          problems.push(`${where}: ${secret} must come from the environment as \${${secret}:?message}, not a literal or a default`);
        }
      }
      if (!['0.0.0.0', '::'].includes(env.HOST ?? '')) {
        problems.push(`${where}: HOST must be 0.0.0.0 (or ::): the api binds 127.0.0.1 by default, which the published port cannot reach`);
      }
      const port = env.PORT;
      if (port) {
        const targets = containerPorts(svc);
        if (!targets.includes(port)) problems.push(`${where}: publishes ${JSON.stringify(targets)} but the api listens on PORT ${port}`);
      }
      const hc = isMapping(svc.healthcheck) ? JSON.stringify(svc.healthcheck.test) : '';
      if (!hc.includes('/readyz')) problems.push(`${where}: healthcheck should probe /readyz`);
    }
    if (cmd === 'rollups') {
      const cron = env.ROLLUP_SAFETY_CRON;
      if (cron !== undefined && ![5, 6].includes(cron.trim().split(/\s+/).length)) problems.push(`${where}: ROLLUP_SAFETY_CRON "${cron}" is not a cron expression`);
      const days = env.ROLLUP_SAFETY_DAYS;
      if (days !== undefined && !/^[1-9]\d*$/.test(days)) problems.push(`${where}: ROLLUP_SAFETY_DAYS must be a positive integer`);
    }
  }

  problems.push(...checkKafkaService(services));
  return problems;
}

function containerPorts(svc: Mapping): string[] {
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  return ports.flatMap((p) => {
    if (typeof p === 'string') {
      const target = p.replace(/\/(tcp|udp|sctp)$/, '').split(':').pop();
      return target ? [target] : [];
    }
    if (isMapping(p) && p.target !== undefined) return [String(p.target)];
    return [];
  });
}

function checkClickhouseUrl(where: string, value: string, services: Record<string, Mapping>, closure: Set<string>): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [`${where}: CLICKHOUSE_URL "${value}" is not a URL`];
  }
  const problems: string[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${where}: CLICKHOUSE_URL must be http(s), found ${url.protocol}`);
  const host = url.hostname;
  const ch = services[host];
  if (!ch) return [...problems, `${where}: CLICKHOUSE_URL host "${host}" is not a compose service`];
  if (typeof ch.image === 'string' && !parseImageRef(ch.image).name.includes('clickhouse')) {
    problems.push(`${where}: CLICKHOUSE_URL host "${host}" does not run a ClickHouse image`);
  }
  const expectedPort = CLICKHOUSE_HTTP_PORT[url.protocol as keyof typeof CLICKHOUSE_HTTP_PORT];
  if (expectedPort && url.port !== expectedPort) problems.push(`${where}: CLICKHOUSE_URL port should be ${expectedPort} (ClickHouse ${url.protocol.slice(0, -1)}), found "${url.port || 'default'}"`);
  const chEnv = environmentOf(ch);
  const db = decodeURIComponent(url.pathname.replace(/^\//, '').replace(/\/$/, ''));
  if (!db) problems.push(`${where}: CLICKHOUSE_URL names no database`);
  else if (db !== (chEnv.CLICKHOUSE_DB ?? 'default')) problems.push(`${where}: CLICKHOUSE_URL database "${db}" differs from ${host}'s CLICKHOUSE_DB "${chEnv.CLICKHOUSE_DB ?? 'default'}"`);
  const user = decodeURIComponent(url.username) || 'default';
  if (user !== (chEnv.CLICKHOUSE_USER ?? 'default')) problems.push(`${where}: CLICKHOUSE_URL user "${user}" differs from ${host}'s CLICKHOUSE_USER`);
  if (decodeURIComponent(url.password) !== (chEnv.CLICKHOUSE_PASSWORD ?? '')) problems.push(`${where}: CLICKHOUSE_URL password differs from ${host}'s CLICKHOUSE_PASSWORD`);
  if (!closure.has(host)) problems.push(`${where}: does not wait for "${host}" (directly or through its dependencies)`);
  return problems;
}

/**
 * KRaft brokers in combined mode (broker and controller). A single broker votes for itself and
 * keeps replication at 1. The nodes of a cluster share one CLUSTER_ID and one quorum, in which
 * each voter is a Kafka service with that node id, and replicate the internal topics min(3, nodes)
 * times with min(2, copies) in sync.
 */
function checkKafkaService(services: Record<string, Mapping>): string[] {
  const problems: string[] = [];
  const nodes = Object.entries(services).filter(([, svc]) => typeof svc.image === 'string' && parseImageRef(svc.image).name.endsWith('kafka'));
  const single = nodes.length === 1;
  const nodeIds = new Map<string, string | undefined>(nodes.map(([name, svc]) => [name, environmentOf(svc).KAFKA_NODE_ID]));
  const replication = Math.min(3, nodes.length);
  const expected: Record<string, string> = {
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: String(replication),
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: String(replication),
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: String(Math.min(2, replication)),
  };
  for (const [name, svc] of nodes) {
    const where = `services.${name}`;
    const env = environmentOf(svc);
    const roles = new Set((env.KAFKA_PROCESS_ROLES ?? '').split(','));
    if (!roles.has('broker') || !roles.has('controller')) problems.push(`${where}: ${single ? 'single-node' : 'combined-mode'} KRaft needs KAFKA_PROCESS_ROLES=broker,controller`);
    const voters = (env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '').split(',').filter(Boolean);
    if (voters.length === 0) problems.push(`${where}: KAFKA_CONTROLLER_QUORUM_VOTERS is not set`);
    for (const voter of voters) {
      const m = /^(\d+)@([^:]+):(\d+)$/.exec(voter);
      if (!m) {
        problems.push(`${where}: quorum voter "${voter}" is not id@host:port`);
        continue;
      }
      const [, id, host = '', port] = m;
      const known = nodeIds.has(host);
      if (!known) problems.push(`${where}: quorum voter host "${host}" is not ${single ? 'the service name' : 'a Kafka service'}`);
      // An unknown host is compared with this node, as on a single broker it could only be this one.
      const target = known ? host : name;
      const targetId = nodeIds.get(target);
      if (id !== targetId) problems.push(`${where}: quorum voter ${voter} does not match KAFKA_NODE_ID ${targetId ?? '(unset)'}${target === name ? '' : ` of "${target}"`}`);
      const targetListeners = parseListeners(environmentOf(services[target] ?? {}).KAFKA_LISTENERS);
      const targetControllers = (environmentOf(services[target] ?? {}).KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(',').filter(Boolean);
      if (!targetListeners.some((l) => targetControllers.includes(l.name) && l.port === port)) problems.push(`${where}: quorum voter port ${port} is not a controller listener`);
    }
    if (!single) {
      const first = nodes[0]?.[1] ?? {};
      if (env.KAFKA_CONTROLLER_QUORUM_VOTERS !== environmentOf(first).KAFKA_CONTROLLER_QUORUM_VOTERS) problems.push(`${where}: KAFKA_CONTROLLER_QUORUM_VOTERS differs from "${nodes[0]?.[0]}": every node must list the same quorum`);
      if (env.CLUSTER_ID !== environmentOf(first).CLUSTER_ID) problems.push(`${where}: CLUSTER_ID differs from "${nodes[0]?.[0]}"`);
      if (!voters.some((v) => v.startsWith(`${env.KAFKA_NODE_ID}@${name}:`))) problems.push(`${where}: is not among its own quorum voters`);
      if ([...nodeIds].some(([other, id]) => other !== name && id === env.KAFKA_NODE_ID)) problems.push(`${where}: KAFKA_NODE_ID ${env.KAFKA_NODE_ID ?? '(unset)'} is not unique`);
    }
    for (const [key, value] of Object.entries(expected)) {
      if (env[key] !== value) problems.push(`${where}: ${key} must be ${value} ${single ? 'on a single broker' : `on a cluster of ${nodes.length} brokers`}`);
    }
    const listeners = parseListeners(env.KAFKA_LISTENERS);
    for (const l of parseListeners(env.KAFKA_ADVERTISED_LISTENERS)) {
      if (!listeners.some((x) => x.name === l.name && x.port === l.port)) problems.push(`${where}: advertised listener ${l.name}://${l.host}:${l.port} has no matching KAFKA_LISTENERS entry`);
    }
  }
  return problems;
}

/**
 * Compose's merge of several files (`-f base -f override`), for the parts this project uses:
 * mappings merge key by key (the override's value wins), anything else is replaced. (Compose
 * merges some sequences, such as ports, by key; the override files here add none to a service
 * that already has them.)
 */
export function mergeCompose(base: Mapping, override: Mapping): Mapping {
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isMapping(current) && isMapping(value) ? mergeCompose(current, value) : value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

export interface Instruction {
  /** 1-based line where the instruction starts. */
  line: number;
  keyword: string;
  args: string;
}

/** Minimal Dockerfile parser: comments, blank lines and `\` line continuations (no heredocs). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && buf === '')) continue; // comments are dropped, even inside continuations
    if (buf === '') start = i + 1;
    const continued = /\\\s*$/.test(line);
    buf += (buf ? ' ' : '') + (continued ? line.replace(/\\\s*$/, '') : line).trim();
    if (continued) continue;
    if (buf) {
      const m = /^(\S+)\s*(.*)$/.exec(buf);
      if (m) out.push({ line: start, keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim() });
    }
    buf = '';
  }
  if (buf) {
    const m = /^(\S+)\s*(.*)$/.exec(buf);
    if (m) out.push({ line: start, keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim() });
  }
  return out;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
  line: number;
}

export function stagesOf(instructions: Instruction[]): { globalArgs: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0] ?? '';
      const stage: Stage = { image, instructions: [], line: ins.line };
      if ((words[1] ?? '').toUpperCase() === 'AS' && words[2]) stage.name = words[2];
      stages.push(stage);
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k = '', v = ''] = ins.args.split('=', 2);
        globalArgs[k.trim()] = v.trim().replace(/^"(.*)"$/, '$1');
      }
    } else stages[stages.length - 1]?.instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** JSON (exec) form of CMD/ENTRYPOINT, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export interface CopySource {
  line: number;
  stage: number;
  from?: string;
  sources: string[];
  dest: string;
}

export function copyInstructions(stages: Stage[]): CopySource[] {
  const out: CopySource[] = [];
  stages.forEach((stage, index) => {
    for (const ins of stage.instructions) {
      if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue;
      let rest = ins.args;
      let from: string | undefined;
      for (;;) {
        const flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
        if (!flag) break;
        if (flag[1] === 'from') from = flag[2];
        rest = rest.slice(flag[0].length);
      }
      const words = execForm(rest) ?? rest.split(/\s+/).filter(Boolean);
      const dest = words[words.length - 1] ?? '';
      const entry: CopySource = { line: ins.line, stage: index, sources: words.slice(0, -1), dest };
      if (from !== undefined) entry.from = from;
      out.push(entry);
    }
  });
  return out;
}

function substituteArgs(value: string, args: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? '');
}

export interface DockerfileCheckOptions {
  /** Repository root = build context. */
  repoRoot: string;
  /** Contents of .dockerignore, to catch COPY of excluded paths. */
  dockerignore?: string;
  /** The script the ENTRYPOINT must run. */
  entrypointScript?: string;
}

/** Pinned bases, multi-stage, non-root final stage, entrypoint, and COPY sources that exist in the context. */
export function checkDockerfile(text: string, options: DockerfileCheckOptions): string[] {
  const problems: string[] = [];
  const { globalArgs, stages } = stagesOf(parseDockerfile(text));
  const script = options.entrypointScript ?? 'bin/notify-stats.mjs';
  if (stages.length === 0) return ['no FROM instruction'];

  const named = stages.filter((s) => s.name);
  if (named.length < 2) problems.push(`expected a multi-stage build (>= 2 "FROM ... AS name"), found ${named.length}`);
  const seen = new Set<string>();
  for (const stage of stages) {
    const image = substituteArgs(stage.image, globalArgs);
    if (!seen.has(image.toLowerCase()) && image !== 'scratch') {
      const p = imagePinProblem(image);
      if (p) problems.push(`line ${stage.line}: FROM ${p}`);
    }
    if (stage.name) seen.add(stage.name.toLowerCase());
  }

  const final = stages[stages.length - 1] as Stage;
  const last = (kw: string) => [...final.instructions].reverse().find((i) => i.keyword === kw);
  const user = last('USER');
  const userName = user?.args.split(':')[0]?.trim();
  if (!user) problems.push('the final stage sets no USER, so it runs as root');
  else if (userName === 'root' || userName === '0') problems.push(`line ${user.line}: the final stage runs as root (USER ${user.args})`);

  const entrypoint = last('ENTRYPOINT');
  const ep = entrypoint ? execForm(entrypoint.args) : undefined;
  if (!entrypoint) problems.push('the final stage has no ENTRYPOINT');
  else if (!ep) problems.push(`line ${entrypoint.line}: ENTRYPOINT should use the exec (JSON) form, so signals reach node`);
  else if (ep[0] !== 'node' || ep[1] !== script) problems.push(`line ${entrypoint.line}: ENTRYPOINT should run ["node", "${script}"], found ${JSON.stringify(ep)}`);
  if (!existsSync(path.join(options.repoRoot, script))) problems.push(`the entrypoint script ${script} does not exist in the repository`);
  else if (isIgnored(script, parseDockerignore(options.dockerignore ?? ''))) problems.push(`the entrypoint script ${script} is excluded by .dockerignore`);

  const cmd = last('CMD');
  const cmdForm = cmd ? execForm(cmd.args) : undefined;
  if (cmd && !(cmdForm && (CLI_COMMANDS as readonly string[]).includes(cmdForm[0] ?? ''))) {
    problems.push(`line ${cmd.line}: CMD should be one of the CLI commands in exec form, found ${cmd.args}`);
  }

  problems.push(...checkCopySources(stages, options));
  return problems;
}

/** Every COPY/ADD source from the build context exists and is not excluded by .dockerignore. */
export function checkCopySources(stages: Stage[], options: DockerfileCheckOptions): string[] {
  const problems: string[] = [];
  const rules = parseDockerignore(options.dockerignore ?? '');
  const stageNames = stages.map((s) => s.name?.toLowerCase());
  for (const copy of copyInstructions(stages)) {
    if (copy.sources.length === 0) problems.push(`line ${copy.line}: COPY needs a source and a destination`);
    if (copy.from !== undefined) {
      const idx = stageNames.indexOf(copy.from.toLowerCase());
      if (idx !== -1 && idx >= copy.stage) problems.push(`line ${copy.line}: COPY --from=${copy.from} refers to a later stage`);
      if (idx === -1 && !/^\d+$/.test(copy.from) && imagePinProblem(copy.from)) problems.push(`line ${copy.line}: COPY --from=${copy.from} is neither a stage nor a pinned image`);
      continue;
    }
    for (const source of copy.sources) {
      if (/^[a-z]+:\/\//.test(source)) continue; // ADD <url>
      const rel = path.posix.normalize(source.replace(/^\.\//, '')).replace(/\/$/, '');
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        problems.push(`line ${copy.line}: COPY source "${source}" is outside the build context`);
        continue;
      }
      const matches = /[*?[]/.test(rel) ? globOne(options.repoRoot, rel) : existsSync(path.join(options.repoRoot, rel)) ? [rel] : [];
      if (matches.length === 0) {
        problems.push(`line ${copy.line}: COPY source "${source}" does not exist in the repository`);
        continue;
      }
      for (const m of matches) {
        if (rel !== '.' && isIgnored(m, rules)) problems.push(`line ${copy.line}: COPY source "${m}" is excluded by .dockerignore`);
      }
    }
  }
  return problems;
}

function globOne(root: string, pattern: string): string[] {
  // Wildcards are supported in the last segment only, which is all this project needs.
  const dir = path.posix.dirname(pattern);
  const re = globToRegExp(path.posix.basename(pattern));
  const abs = path.join(root, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  return readdirSync(abs).filter((f) => re.test(f)).map((f) => (dir === '.' ? f : `${dir}/${f}`));
}

/**
 * The stage that runs `npm ci` must first copy the root manifests and the package.json of every
 * npm workspace, or the install does not match the lockfile.
 */
export function checkWorkspaceManifests(text: string, repoRoot: string): string[] {
  const { stages } = stagesOf(parseDockerfile(text));
  const idx = stages.findIndex((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm\s+ci\b/.test(i.args)));
  if (idx === -1) return ['no stage runs "npm ci"'];
  const stage = stages[idx] as Stage;
  const npmCiLine = stage.instructions.find((i) => i.keyword === 'RUN' && /\bnpm\s+ci\b/.test(i.args))?.line ?? Infinity;
  const copied = new Set(
    copyInstructions(stages)
      .filter((c) => c.stage === idx && c.from === undefined && c.line < npmCiLine)
      .flatMap((c) => c.sources.map((s) => path.posix.normalize(s.replace(/^\.\//, '')))),
  );
  const problems: string[] = [];
  for (const f of ['package.json', 'package-lock.json']) if (!copied.has(f)) problems.push(`stage ${stage.name ?? idx} does not copy ${f} before npm ci`);
  for (const ws of workspaceDirs(repoRoot)) {
    const manifest = `${ws}/package.json`;
    if (!copied.has(manifest) && !copied.has(ws)) problems.push(`stage ${stage.name ?? idx} does not copy ${manifest} (an npm workspace) before npm ci`);
  }
  return problems;
}

/** Workspace folders of the root package.json that hold a package.json (`dir` and `dir/*` patterns). */
export function workspaceDirs(repoRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { workspaces?: string[] | { packages?: string[] } };
  const patterns = Array.isArray(pkg.workspaces) ? pkg.workspaces : (pkg.workspaces?.packages ?? []);
  const dirs: string[] = [];
  for (const pattern of patterns) {
    const candidates = /[*?[]/.test(pattern) ? globOne(repoRoot, pattern) : [pattern];
    for (const c of candidates) if (existsSync(path.join(repoRoot, c, 'package.json'))) dirs.push(c);
  }
  return dirs.sort();
}

// ---------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------

export interface IgnoreRule {
  negate: boolean;
  re: RegExp;
  pattern: string;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern), pattern };
    });
}

/** Docker's rule: the last matching pattern wins; a pattern matching a parent folder excludes its content. */
export function isIgnored(relPath: string, rules: IgnoreRule[]): boolean {
  const parts = relPath.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.re.test(c))) ignored = !rule.negate;
  }
  return ignored;
}
