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

export function writeBrokerConfig(dataDir: string, port: number, controllerPort: number): BrokerFiles {
  const logDir = join(dataDir, 'logs');
  const serverLog = join(dataDir, 'server.log');
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 6,
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
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
