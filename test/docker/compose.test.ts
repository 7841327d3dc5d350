/**
 * Static checks of docker-compose.yml, the Dockerfile and .dockerignore (no Docker engine needed).
 * The first two blocks check the real files; the last block feeds deliberately broken input to the
 * same checkers, so that each rule is shown to be able to fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  appServices,
  checkAppServices,
  checkComposeStructure,
  checkCopySources,
  checkDockerfile,
  checkImagesPinned,
  checkWorkspaceManifests,
  commandOf,
  environmentOf,
  interpolate,
  interpolateTree,
  isIgnored,
  loadCompose,
  mergeCompose,
  parseDockerfile,
  parseDockerignore,
  parseImageRef,
  servicesOf,
  stagesOf,
  workspaceDirs,
  type Mapping,
} from './compose-checks.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string) => readFileSync(path.join(repoRoot, rel), 'utf8');

const composeText = read('docker-compose.yml');
const clusterText = read('docker-compose.cluster.yml');
const dockerfileText = read('Dockerfile');
const dockerignoreText = read('.dockerignore');
/** ADMIN_CLIENT_SECRET and OPERATOR_CLIENT_SECRET are required by the compose file; everything else has defaults. */
const ENV = { ADMIN_CLIENT_SECRET: 'secret-from-test', OPERATOR_CLIENT_SECRET: 'operator-secret-from-test' };
const loaded = loadCompose(composeText);
const compose = loaded.doc;
const resolved = interpolateTree(compose, ENV).value as Mapping;

/** Asserts that one of the problems mentions `needle`. */
function expectProblem(problems: string[], needle: string | RegExp): void {
  const hit = problems.some((p) => (typeof needle === 'string' ? p.includes(needle) : needle.test(p)));
  expect(hit, `expected a problem matching ${String(needle)}, got:\n${problems.join('\n') || '(none)'}`).toBe(true);
}

describe('docker-compose.yml', () => {
  it('parses as YAML, with merge keys and without duplicate keys', () => {
    expect(loaded.problems).toEqual([]);
    expect(Object.keys(servicesOf(compose)).sort()).toEqual(['api', 'clickhouse', 'ingest', 'kafka', 'migrate', 'rollups']);
  });

  it('is a structurally valid compose document', () => {
    expect(checkComposeStructure(compose, { env: ENV, projectDir: repoRoot })).toEqual([]);
  });

  it('pins every image to a tag other than latest', () => {
    expect(checkImagesPinned(compose, ENV)).toEqual([]);
    for (const svc of Object.values(servicesOf(resolved))) {
      if (svc.image !== undefined) expect(parseImageRef(String(svc.image)).tag).toBeTruthy();
    }
  });

  it('refuses to run without ADMIN_CLIENT_SECRET and OPERATOR_CLIENT_SECRET, and needs nothing else from the environment', () => {
    const errors = interpolateTree(compose, {}).errors;
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('set ADMIN_CLIENT_SECRET');
    expect(errors[1]).toContain('set OPERATOR_CLIENT_SECRET');
    expect(interpolateTree(compose, { ADMIN_CLIENT_SECRET: ENV.ADMIN_CLIENT_SECRET }).errors).toHaveLength(1);
    expect(interpolateTree(compose, ENV).errors).toEqual([]);
  });

  it('wires ingest, rollups, api and migrate to Kafka and ClickHouse', () => {
    expect(checkAppServices(compose, { env: ENV })).toEqual([]);
  });

  it('runs the four application services from the one image built here', () => {
    const apps = appServices(resolved);
    expect(Object.keys(apps).sort()).toEqual(['api', 'ingest', 'migrate', 'rollups']);
    const images = new Set(Object.values(apps).map((s) => s.image));
    expect(images.size).toBe(1);
    for (const [name, svc] of Object.entries(apps)) expect(commandOf(svc), name).toEqual([name]);
  });

  it('passes the documented environment contract', () => {
    const s = servicesOf(resolved);
    const api = environmentOf(s.api ?? {});
    expect(api).toMatchObject({
      PORT: '6011',
      HOST: '0.0.0.0',
      ADMIN_CLIENT_ID: 'notify-admin',
      ADMIN_CLIENT_SECRET: ENV.ADMIN_CLIENT_SECRET,
      OPERATOR_CLIENT_ID: 'notify-operator',
      OPERATOR_CLIENT_SECRET: ENV.OPERATOR_CLIENT_SECRET,
    });
    expect(environmentOf(s.rollups ?? {})).toMatchObject({ ROLLUP_SAFETY_CRON: '0 3 * * *', ROLLUP_SAFETY_DAYS: '10' });
    for (const name of ['api', 'ingest', 'rollups', 'migrate']) {
      expect(environmentOf(s[name] ?? {}), name).toMatchObject({
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        KAFKA_TOPIC_PARTITIONS: '6',
        KAFKA_BROKERS: 'kafka:9092',
        CLICKHOUSE_URL: 'http://notify:notify@clickhouse:8123/notify_stats',
      });
    }
  });
});

describe('docker-compose.cluster.yml (three brokers, merged onto docker-compose.yml)', () => {
  const override = loadCompose(clusterText);
  const merged = mergeCompose(compose, override.doc);
  const mergedResolved = interpolateTree(merged, ENV).value as Mapping;

  it('parses, and the merged stack is a valid compose document with pinned images', () => {
    expect(override.problems).toEqual([]);
    expect(checkComposeStructure(merged, { env: ENV, projectDir: repoRoot })).toEqual([]);
    expect(checkImagesPinned(merged, ENV)).toEqual([]);
    expect(Object.keys(servicesOf(merged)).sort()).toEqual(['api', 'clickhouse', 'ingest', 'kafka', 'kafka-2', 'kafka-3', 'migrate', 'rollups']);
  });

  it('runs one quorum of three combined nodes, replicating the internal topics three times', () => {
    expect(checkAppServices(merged, { env: ENV })).toEqual([]);
    const nodes = ['kafka', 'kafka-2', 'kafka-3'].map((n) => environmentOf(servicesOf(mergedResolved)[n] ?? {}));
    expect(nodes.map((e) => e.KAFKA_NODE_ID)).toEqual(['1', '2', '3']);
    expect(new Set(nodes.map((e) => e.KAFKA_CONTROLLER_QUORUM_VOTERS))).toEqual(new Set(['1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093']));
    for (const e of nodes) expect(e).toMatchObject({ KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3', KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2' });
  });

  it('bootstraps ingest and rollups from all three brokers, after all three are healthy', () => {
    for (const name of ['ingest', 'rollups']) {
      const svc = servicesOf(mergedResolved)[name] ?? {};
      expect(environmentOf(svc).KAFKA_BROKERS, name).toBe('kafka:9092,kafka-2:9092,kafka-3:9092');
      // The rest of the environment still comes from the base file.
      expect(environmentOf(svc).CLICKHOUSE_URL, name).toBe('http://notify:notify@clickhouse:8123/notify_stats');
      expect(Object.keys(svc.depends_on as Mapping).sort(), name).toEqual(['clickhouse', 'kafka', 'kafka-2', 'kafka-3', 'migrate']);
    }
  });

  it('keeps its own volumes, apart from the single-broker stack', () => {
    expect(merged.name).toBe('notify-stats-cluster');
    expect(Object.keys(merged.volumes as Mapping).sort()).toEqual(['clickhouse-data', 'kafka-2-data', 'kafka-3-data', 'kafka-data']);
  });

  it('reports a broken cluster: a diverging quorum, a shared node id, single-broker replication', () => {
    const broken = clusterText
      .replace('KAFKA_NODE_ID: "3"', 'KAFKA_NODE_ID: "2"')
      .replace('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "2"', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1"')
      .replace(/(kafka-3:\n(?:.*\n)*?\s+KAFKA_ADVERTISED_LISTENERS: PLAINTEXT:\/\/kafka-3:9092)/, '$1\n      KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka:9093,2@kafka-2:9093');
    expect(broken).not.toBe(clusterText);
    const problems = checkAppServices(mergeCompose(compose, loadCompose(broken).doc), { env: ENV });
    expectProblem(problems, 'services.kafka-3: KAFKA_CONTROLLER_QUORUM_VOTERS differs from "kafka"');
    expectProblem(problems, 'services.kafka-3: KAFKA_NODE_ID 2 is not unique');
    expectProblem(problems, 'services.kafka: quorum voter 3@kafka-3:9093 does not match KAFKA_NODE_ID 2 of "kafka-3"');
    expectProblem(problems, 'services.kafka-3: is not among its own quorum voters');
    expectProblem(problems, 'services.kafka: KAFKA_TRANSACTION_STATE_LOG_MIN_ISR must be 2 on a cluster of 3 brokers');
  });

  it('merges files as Compose does: mappings key by key, anything else replaced', () => {
    expect(mergeCompose({ a: { x: 1, y: [1] }, b: 1 }, { a: { y: [2], z: 3 }, c: 4 })).toEqual({ a: { x: 1, y: [2], z: 3 }, b: 1, c: 4 });
  });
});

describe('Dockerfile and .dockerignore', () => {
  const options = { repoRoot, dockerignore: dockerignoreText };

  it('uses pinned bases, several stages, a non-root user and the CLI entrypoint; COPY sources exist', () => {
    expect(checkDockerfile(dockerfileText, options)).toEqual([]);
  });

  it('copies every npm workspace manifest before npm ci', () => {
    expect(workspaceDirs(repoRoot).length).toBeGreaterThan(0);
    expect(checkWorkspaceManifests(dockerfileText, repoRoot)).toEqual([]);
  });

  it('exposes the port the compose api publishes, and defaults to the api', () => {
    const { stages } = stagesOf(parseDockerfile(dockerfileText));
    const final = stages[stages.length - 1];
    const expose = final?.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)) ?? [];
    const port = environmentOf(servicesOf(resolved).api ?? {}).PORT;
    expect(port).toBeDefined();
    expect(expose).toContain(port);
    expect(final?.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["api"]');
  });

  it('keeps the build context small but the manifests in it', () => {
    const rules = parseDockerignore(dockerignoreText);
    for (const p of ['node_modules', 'packages/money/node_modules/x', '.git/HEAD', '.data/x', 'infra/kafka/lib/a.jar', 'test-artifacts/r', 'bench/results/x', '.env', 'test/docker/compose.test.ts']) {
      expect(isIgnored(p, rules), p).toBe(true);
    }
    for (const p of ['package.json', 'package-lock.json', 'test/package.json', 'packages/clickhouse/migrations', 'services/cli/src', 'bin/notify-stats.mjs', 'tsconfig.base.json']) {
      expect(isIgnored(p, rules), p).toBe(false);
    }
  });
});

describe('the checkers report broken input', () => {
  it('rejects unknown top-level and service keys, services without image/build, and bad names', () => {
    const { doc } = loadCompose(`
version: "3.9"
servics: {}
name: Bad_Name
services:
  web:
    enviroment:
      A: b
  "bad name":
    image: nginx:1.27
`);
    const problems = checkComposeStructure(doc);
    expectProblem(problems, 'top-level "version" is obsolete');
    expectProblem(problems, 'top-level key "servics"');
    expectProblem(problems, 'project name "Bad_Name"');
    expectProblem(problems, 'services.web: unknown key "enviroment"');
    expectProblem(problems, 'services.web: needs "image" or "build"');
    expectProblem(problems, 'services.bad name: service name must match');
  });

  it('reports YAML duplicate keys', () => {
    expectProblem(loadCompose('services:\n  a:\n    image: x:1\n  a:\n    image: y:1\n').problems, /YAML error/);
  });

  it('rejects dangling, self and cyclic depends_on, bad conditions, and healthy-waits without healthcheck', () => {
    const { doc } = loadCompose(`
services:
  a:
    image: a:1
    depends_on:
      ghost:
        condition: service_started
      b:
        condition: service_ready
      c:
        condition: service_healthy
  b:
    image: b:1
    depends_on: [b, a]
  c:
    image: c:1
`);
    const problems = checkComposeStructure(doc);
    expectProblem(problems, 'depends_on "ghost", which is not a service');
    expectProblem(problems, 'condition "service_ready" is not one of');
    expectProblem(problems, 'waits for "c" to be healthy, but "c" has no healthcheck');
    expectProblem(problems, 'services.b: depends on itself');
    expectProblem(problems, /depends_on cycle: .*a -> b -> a|depends_on cycle: .*b -> a -> b/);
  });

  it('rejects unquoted or malformed ports, bad healthchecks, restart policies and undeclared volumes', () => {
    const { doc } = loadCompose(`
services:
  a:
    image: a:1
    ports:
      - 8080
      - "80:80:80:80"
      - "127.0.0.1:6011:6011/tcp"
    restart: sometimes
    healthcheck:
      test: ["RUN", "true"]
      interval: 10
    volumes:
      - undeclared:/data
      - ./does-not-exist/file.xml:/etc/x.xml:ro
`);
    const problems = checkComposeStructure(doc, { projectDir: repoRoot });
    expectProblem(problems, 'ports: 8080 must be a quoted string');
    expectProblem(problems, '"80:80:80:80" is not');
    expect(problems.some((p) => p.includes('127.0.0.1:6011:6011/tcp'))).toBe(false);
    expectProblem(problems, 'restart: "sometimes" is not');
    expectProblem(problems, 'healthcheck.test must start with NONE, CMD or CMD-SHELL');
    expectProblem(problems, 'healthcheck.interval: 10 is not a duration');
    expectProblem(problems, 'named volume "undeclared" is not declared');
    expectProblem(problems, 'bind source "./does-not-exist/file.xml" does not exist');
  });

  it('rejects unpinned images, including a registry port mistaken for a tag', () => {
    const { doc } = loadCompose(`
services:
  a: { image: kafka }
  b: { image: "clickhouse/clickhouse-server:latest" }
  c: { image: "registry.local:5000/team/app" }
  d: { image: "\${IMG:-node}" }
  ok1: { image: "registry.local:5000/team/app:1.2.3" }
  ok2: { image: "node@sha256:${'a'.repeat(64)}" }
  ok3: { image: "\${IMG:-node:20.19}" }
`);
    const problems = checkImagesPinned(doc);
    expect(problems).toHaveLength(4);
    expectProblem(problems, 'services.a.image: "kafka" has no tag');
    expectProblem(problems, 'uses the moving tag "latest"');
    expectProblem(problems, 'services.c.image: "registry.local:5000/team/app" has no tag');
    expectProblem(problems, 'services.d.image: "node" has no tag');
  });

  it('implements Compose interpolation, including its errors', () => {
    expect(interpolate('a$$b', {}).value).toBe('a$b');
    expect(interpolate('${X:-d}/${Y-e}/$Z', { X: '', Y: '', Z: 'z' }).value).toBe('d//z');
    expect(interpolate('${A:-${B:-x}}', {}).value).toBe('x');
    expect(interpolate('${S:?set S}', {}).errors[0]).toContain('set S');
    expect(interpolate('${S:?set S}', { S: 'v' })).toEqual({ value: 'v', errors: [] });
    expect(interpolate('${FOO:bar}', {}).errors[0]).toContain('invalid interpolation format');
    expect(interpolate('cost: 5$', {}).errors[0]).toContain('lone "$"');
  });

  const brokenApps = `
x-env: &env
  NODE_ENV: production
  LOG_LEVEL: info
  KAFKA_TOPIC_PARTITIONS: "6"
services:
  kafka:
    image: apache/kafka:3.9.1
    environment:
      KAFKA_NODE_ID: "1"
      KAFKA_PROCESS_ROLES: broker
      KAFKA_LISTENERS: PLAINTEXT://:9092,CONTROLLER://:9093
      KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka:9092
      KAFKA_CONTROLLER_LISTENER_NAMES: CONTROLLER
      KAFKA_CONTROLLER_QUORUM_VOTERS: 2@broker:9094
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "3"
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1"
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1"
  clickhouse:
    image: clickhouse/clickhouse-server:25.8
    environment: { CLICKHOUSE_DB: notify_stats, CLICKHOUSE_USER: notify, CLICKHOUSE_PASSWORD: notify }
  migrate:
    build: .
    command: migrate
    restart: always
    environment: { <<: *env, CLICKHOUSE_URL: "http://notify:notify@clickhouse:8123/notify_stats" }
  ingest:
    build: .
    command: ["ingest"]
    environment: { <<: *env, KAFKA_BROKERS: "kafka:29092", CLICKHOUSE_URL: "http://notify:wrong@ch:8123/notify_stats" }
    depends_on: { kafka: { condition: service_started } }
  rollups:
    build: .
    command: ["rollups"]
    environment: { <<: *env, KAFKA_BROKERS: "broker:9092", CLICKHOUSE_URL: "http://notify:notify@clickhouse/other_db", ROLLUP_SAFETY_CRON: "daily" }
  api:
    build: .
    command: ["serve"]
    environment: { <<: *env, PORT: "6011", ADMIN_CLIENT_SECRET: hunter2 }
    ports: ["8080:80"]
`;

  it('rejects broken application wiring', () => {
    const { doc, problems: yamlProblems } = loadCompose(brokenApps);
    expect(yamlProblems).toEqual([]);
    const problems = checkAppServices(doc);
    expectProblem(problems, 'services.migrate: a one-shot service must not restart "always"');
    expectProblem(problems, 'services.ingest: KAFKA_BROKERS "kafka:29092" is not an advertised listener');
    expectProblem(problems, 'services.ingest: should depend on "kafka" with condition service_healthy');
    expectProblem(problems, 'services.ingest: CLICKHOUSE_URL host "ch" is not a compose service');
    expectProblem(problems, 'services.ingest: should depend on "migrate" with condition service_completed_successfully');
    expectProblem(problems, 'services.rollups: KAFKA_BROKERS host "broker" is not a compose service');
    expectProblem(problems, 'services.rollups: CLICKHOUSE_URL port should be 8123');
    expectProblem(problems, 'services.rollups: CLICKHOUSE_URL database "other_db" differs');
    expectProblem(problems, 'services.rollups: does not wait for "clickhouse"');
    expectProblem(problems, 'ROLLUP_SAFETY_CRON "daily" is not a cron expression');
    expectProblem(problems, 'services.api: command should be ["api"]');
    expectProblem(problems, /services\.api: command .* is not one of/);
    expectProblem(problems, 'services.kafka: single-node KRaft needs KAFKA_PROCESS_ROLES=broker,controller');
    expectProblem(problems, 'quorum voter 2@broker:9094 does not match KAFKA_NODE_ID 1');
    expectProblem(problems, 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR must be 1');
  });

  it('rejects an api without its secret from the environment, PORT mismatch and missing readiness probe', () => {
    const doc = loadCompose(brokenApps.replace('command: ["serve"]', 'command: ["api"]')).doc;
    const problems = checkAppServices(doc);
    expectProblem(problems, 'services.api: ADMIN_CLIENT_ID is not set');
    expectProblem(problems, 'services.api: HOST must be 0.0.0.0');
    expectProblem(problems, 'ADMIN_CLIENT_SECRET must come from the environment');
    expectProblem(problems, 'services.api: OPERATOR_CLIENT_SECRET is not set');
    expectProblem(problems, 'services.api: publishes ["80"] but the api listens on PORT 6011');
    expectProblem(problems, 'services.api: healthcheck should probe /readyz');
    expectProblem(problems, 'services.api: CLICKHOUSE_URL is not set');
  });

  it('parses Dockerfile continuations and comments', () => {
    const parsed = parseDockerfile('FROM a:1 AS x\n# comment\nRUN echo one \\\n  # inner comment\n  && echo two\nCOPY a \\\n     b/\n');
    expect(parsed.map((i) => [i.line, i.keyword, i.args])).toEqual([
      [1, 'FROM', 'a:1 AS x'],
      [3, 'RUN', 'echo one && echo two'],
      [6, 'COPY', 'a b/'],
    ]);
  });

  it('rejects unpinned bases, a single stage, root, a wrong entrypoint and missing or ignored COPY sources', () => {
    const broken = [
      'FROM node AS deps',
      'COPY --from=later /x /x',
      'FROM alpine:3.20 AS later',
      'FROM node:latest',
      'COPY package.json \\',
      '     does-not-exist.txt \\',
      '     ./',
      'COPY node_modules ./node_modules',
      'USER root',
      'ENTRYPOINT ["node", "bin/other.mjs"]',
    ].join('\n');
    const problems = checkDockerfile(broken, { repoRoot, dockerignore: 'node_modules\n' });
    expectProblem(problems, 'line 1: FROM "node" has no tag');
    expectProblem(problems, 'line 4: FROM "node:latest" uses the moving tag "latest"');
    expectProblem(problems, 'line 2: COPY --from=later refers to a later stage');
    expectProblem(problems, 'line 5: COPY source "does-not-exist.txt" does not exist');
    expect(problems.some((p) => p.includes('"package.json"'))).toBe(false);
    expectProblem(problems, 'line 8: COPY source "node_modules" is excluded by .dockerignore');
    expectProblem(problems, 'line 9: the final stage runs as root (USER root)');
    expectProblem(problems, 'line 10: ENTRYPOINT should run ["node", "bin/notify-stats.mjs"]');

    expectProblem(checkDockerfile('FROM node:20.19-bookworm-slim\nUSER node\nENTRYPOINT ["node", "bin/notify-stats.mjs"]\n', { repoRoot }), 'expected a multi-stage build');
    // The USER/ENTRYPOINT rules look at the final stage only.
    const finalStage = checkDockerfile('FROM a:1 AS one\nFROM b:2 AS two\nUSER 0:0\nENTRYPOINT node bin/other.mjs\nCMD ["serve"]\n', { repoRoot });
    expectProblem(finalStage, 'the final stage runs as root (USER 0:0)');
    expectProblem(finalStage, 'ENTRYPOINT should use the exec (JSON) form');
    expectProblem(finalStage, 'CMD should be one of the CLI commands');
    expectProblem(checkDockerfile('FROM a:1 AS one\nFROM b:2 AS two\nENTRYPOINT ["node", "x.mjs"]\n', { repoRoot }), 'the final stage sets no USER');
    expectProblem(checkDockerfile('FROM a:1 AS one\nFROM b:2 AS two\nUSER node\nENTRYPOINT ["node", "x.mjs"]\n', { repoRoot }), 'ENTRYPOINT should run ["node", "bin/notify-stats.mjs"]');
    const missingScript = checkDockerfile('FROM a:1 AS one\nFROM b:2 AS two\nUSER node\nENTRYPOINT ["node", "bin/nope.mjs"]\n', { repoRoot, entrypointScript: 'bin/nope.mjs' });
    expect(missingScript).toEqual(['the entrypoint script bin/nope.mjs does not exist in the repository']);
  });

  it('rejects a deps stage that forgets a workspace manifest', () => {
    const withoutCli = dockerfileText.replace(/^COPY services\/cli\/package\.json.*$/m, '');
    expect(withoutCli).not.toBe(dockerfileText);
    expectProblem(checkWorkspaceManifests(withoutCli, repoRoot), 'does not copy services/cli/package.json');
  });

  it('matches .dockerignore like Docker does (last match wins, parents exclude children)', () => {
    const rules = parseDockerignore('# c\n**/node_modules\ntest/*\n!test/package.json\n/bench\n');
    expect(isIgnored('node_modules', rules)).toBe(true);
    expect(isIgnored('a/b/node_modules/c.js', rules)).toBe(true);
    expect(isIgnored('test/x.ts', rules)).toBe(true);
    expect(isIgnored('test/package.json', rules)).toBe(false);
    expect(isIgnored('bench/results/x', rules)).toBe(true);
    expect(isIgnored('packages/bench', rules)).toBe(false);
    const stages = stagesOf(parseDockerfile('FROM a:1\nCOPY test/package.json test/docker ./\n')).stages;
    const problems = checkCopySources(stages, { repoRoot, dockerignore: 'test/*\n!test/package.json\n' });
    expect(problems).toEqual(['line 2: COPY source "test/docker" is excluded by .dockerignore']);
    expect(existsSync(path.join(repoRoot, 'test/docker'))).toBe(true);
  });
});
