import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from './ports.ts';

export interface BrokerFiles { serverProps: string; log4jProps: string; logDir: string; serverLog: string }

/** Reusing the formatted cluster id is what lets a restart on the same dataDir keep its topics. */
export function clusterIdFor(logDir: string): string {
  const meta = join(logDir, 'meta.properties');
  if (existsSync(meta)) {
    const match = /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'));
    if (match?.[1]) return match[1].trim();
  }
  return newClusterId();
}

/**
 * 16 random bytes in base64url, as Kafka's own ids, but never starting with '-': the storage
 * tool would read such an id as an option (Kafka's Uuid.randomUuid avoids them for the same reason).
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A node's place in a KRaft cluster of combined broker+controller nodes on loopback. */
export interface ClusterMembership {
  nodeId: number;
  /** Every node's controller port, by node id: the static quorum (`controller.quorum.voters`). */
  controllerPorts: ReadonlyMap<number, number>;
}

/** The quorum as `controller.quorum.voters` spells it: `1@127.0.0.1:p1,2@127.0.0.1:p2,...`. */
export function quorumVoters(controllerPorts: ReadonlyMap<number, number>): string {
  return [...controllerPorts].sort(([a], [b]) => a - b).map(([id, port]) => `${id}@${HOST}:${port}`).join(',');
}

/**
 * Replication of the broker's internal topics (consumer offsets, transactions): on a cluster the
 * committed offsets must survive the loss of a broker, so they get RF min(3, nodes), min ISR min(2, RF).
 */
export function internalTopicReplication(nodes: number): { replicationFactor: number; minInsync: number } {
  const replicationFactor = Math.min(3, Math.max(1, nodes));
  return { replicationFactor, minInsync: Math.min(2, replicationFactor) };
}

export function writeBrokerConfig(dataDir: string, port: number, controllerPort: number, membership: ClusterMembership = { nodeId: 1, controllerPorts: new Map([[1, controllerPort]]) }): BrokerFiles {
  const internal = internalTopicReplication(membership.controllerPorts.size);
  const logDir = join(dataDir, 'logs');
  const serverLog = join(dataDir, 'server.log');
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': membership.nodeId,
    'controller.quorum.voters': quorumVoters(membership.controllerPorts),
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 6,
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': internal.replicationFactor,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': internal.replicationFactor,
    'transaction.state.log.min.isr': internal.minInsync,
    'group.initial.rebalance.delay.ms': 0,
    // Sized for a 2-core dev box: Kafka's defaults assume a dedicated server.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
    'log.segment.bytes': 256 * 1024 * 1024,
    'log.retention.hours': 168,
  };
  const serverProps = join(dataDir, 'server.properties');
  writeFileSync(serverProps, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

  const log4jProps = join(dataDir, 'log4j.properties');
  // No console appender: the broker's INFO chatter would drown the parent's own output.
  writeFileSync(
    log4jProps,
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${serverLog}`,
      'log4j.appender.file.Append=true',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.org.apache.kafka.clients=WARN',
      '',
    ].join('\n'),
  );
  return { serverProps, log4jProps, logDir, serverLog };
}
