import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clickhouseEnv, dataEnv, EnvError, kafkaEnv, parseEnv } from '../src/env.ts';
import { retry, sleep } from '../src/retry.ts';
import { Shutdown } from '../src/shutdown.ts';

const silent = pino({ level: 'silent' });

// ---------------------------------------------------------------------------------------------
// parseEnv

describe('parseEnv', () => {
  const serviceEnv = z.object({ ...dataEnv.shape, ...clickhouseEnv.shape, ...kafkaEnv.shape });

  it('lists every problem in one EnvError', () => {
    let caught: unknown;
    try {
      parseEnv(kafkaEnv, { KAFKA_BROKERS: 'localhost', KAFKA_TOPIC_PARTITIONS: 'zero' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvError);
    expect(caught).toBeInstanceOf(Error);
    const message = (caught as EnvError).message;
    expect((caught as EnvError).name).toBe('EnvError');
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).toContain('KAFKA_TOPIC_PARTITIONS');
    expect(message).toContain('host:port');
  });

  it('lists problems across combined schemas', () => {
    const run = () =>
      parseEnv(serviceEnv, {
        KAFKA_BROKERS: 'a:9092,,b:9093',
        KAFKA_TOPIC_PARTITIONS: '0',
        NODE_ENV: 'staging',
        LOG_LEVEL: 'loud',
        CLICKHOUSE_URL: 'ftp://example.com',
      });
    expect(run).toThrow(EnvError);
    try {
      run();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['KAFKA_BROKERS', 'KAFKA_TOPIC_PARTITIONS', 'NODE_ENV', 'LOG_LEVEL', 'CLICKHOUSE_URL']) {
        expect(message).toContain(name);
      }
      // One line per problem.
      expect(message.split('\n').filter((l) => l.trim().length > 0).length).toBeGreaterThanOrEqual(6);
    }
  });

  it.each([
    ['KAFKA_TOPIC_PARTITIONS', '0'],
    ['KAFKA_TOPIC_PARTITIONS', '-1'],
    ['KAFKA_TOPIC_PARTITIONS', '1.5'],
    ['KAFKA_TOPIC_PARTITIONS', 'six'],
    ['KAFKA_TOPIC_PARTITIONS', '1001'],
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_BROKERS', 'localhost:'],
    ['KAFKA_BROKERS', 'localhost:9092,'],
    ['KAFKA_BROKERS', 'a:1 b:2'],
    ['KAFKA_TOPIC_REPLICATION_FACTOR', '0'],
    ['KAFKA_TOPIC_MIN_INSYNC_REPLICAS', 'two'],
    ['KAFKA_NODES', '10'],
  ])('rejects %s=%j', (name, value) => {
    expect(() => parseEnv(kafkaEnv, { [name]: value })).toThrow(new RegExp(name));
  });

  it('defaults apply when variables are missing', () => {
    expect(parseEnv(kafkaEnv, {})).toEqual({
      KAFKA_BROKERS: undefined,
      KAFKA_TOPIC_PARTITIONS: 6,
      KAFKA_CLIENT_ID: 'notify-stats',
      KAFKA_TOPIC_REPLICATION_FACTOR: undefined,
      KAFKA_TOPIC_MIN_INSYNC_REPLICAS: undefined,
      KAFKA_NODES: 1,
    });
    expect(parseEnv(dataEnv, {})).toEqual({
      DATA_DIR: path.resolve('.data'),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    });
    expect(parseEnv(clickhouseEnv, {})).toEqual({
      CLICKHOUSE_URL: undefined,
      CLICKHOUSE_PATH: undefined,
      CLICKHOUSE_CLUSTER: undefined,
    });
  });

  it('empty strings count as unset, so defaults apply', () => {
    expect(parseEnv(kafkaEnv, { KAFKA_BROKERS: '', KAFKA_TOPIC_PARTITIONS: '', KAFKA_CLIENT_ID: '' })).toEqual({
      KAFKA_BROKERS: undefined,
      KAFKA_TOPIC_PARTITIONS: 6,
      KAFKA_CLIENT_ID: 'notify-stats',
      KAFKA_TOPIC_REPLICATION_FACTOR: undefined,
      KAFKA_TOPIC_MIN_INSYNC_REPLICAS: undefined,
      KAFKA_NODES: 1,
    });
    expect(parseEnv(dataEnv, { DATA_DIR: '', NODE_ENV: '', LOG_LEVEL: '' })).toEqual({
      DATA_DIR: path.resolve('.data'),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    });
  });

  it('parses given values', () => {
    expect(
      parseEnv(kafkaEnv, { KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9093', KAFKA_TOPIC_PARTITIONS: '12', KAFKA_CLIENT_ID: 'ingest' }),
    ).toMatchObject({ KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9093'], KAFKA_TOPIC_PARTITIONS: 12, KAFKA_CLIENT_ID: 'ingest' });
    expect(parseEnv(kafkaEnv, { KAFKA_TOPIC_REPLICATION_FACTOR: '3', KAFKA_TOPIC_MIN_INSYNC_REPLICAS: '2', KAFKA_NODES: '3' })).toMatchObject({
      KAFKA_TOPIC_REPLICATION_FACTOR: 3,
      KAFKA_TOPIC_MIN_INSYNC_REPLICAS: 2,
      KAFKA_NODES: 3,
    });
    expect(parseEnv(dataEnv, { DATA_DIR: '/var/lib/notify', NODE_ENV: 'production', LOG_LEVEL: 'debug' })).toEqual({
      DATA_DIR: '/var/lib/notify',
      NODE_ENV: 'production',
      LOG_LEVEL: 'debug',
    });
    expect(parseEnv(clickhouseEnv, { CLICKHOUSE_URL: 'http://clickhouse:8123', CLICKHOUSE_PATH: '/data/ch' })).toMatchObject({
      CLICKHOUSE_URL: 'http://clickhouse:8123',
      CLICKHOUSE_PATH: '/data/ch',
    });
  });

  it('a relative DATA_DIR is resolved to an absolute path', () => {
    expect(parseEnv(dataEnv, { DATA_DIR: 'some/dir' }).DATA_DIR).toBe(path.join(process.cwd(), 'some/dir'));
  });

  it('ignores unrelated variables', () => {
    expect(parseEnv(kafkaEnv, { PATH: '/usr/bin', HOME: '/root', KAFKA_TOPIC_PARTITIONS: '3' }).KAFKA_TOPIC_PARTITIONS).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
// Shutdown

describe('Shutdown', () => {
  it('runs steps in reverse order of registration', async () => {
    const order: string[] = [];
    const s = new Shutdown(silent, 1000);
    s.add('kafka client', () => {
      order.push('kafka client');
    })
      .add('clickhouse', async () => {
        await sleep(5);
        order.push('clickhouse');
      })
      .add('consumer', () => {
        order.push('consumer');
      });
    await s.run('test');
    expect(order).toEqual(['consumer', 'clickhouse', 'kafka client']);
  });

  it('awaits each step before starting the next', async () => {
    const events: string[] = [];
    const s = new Shutdown(silent, 1000);
    s.add('first registered', () => {
      events.push('first registered');
    });
    s.add('slow', async () => {
      events.push('slow start');
      await sleep(20);
      events.push('slow end');
    });
    await s.run('test');
    expect(events).toEqual(['slow start', 'slow end', 'first registered']);
  });

  it('continues after a failing step (thrown or rejected)', async () => {
    const order: string[] = [];
    const s = new Shutdown(silent, 1000);
    s.add('a', () => {
      order.push('a');
    });
    s.add('b rejects', async () => {
      order.push('b');
      throw new Error('b failed');
    });
    s.add('c throws', () => {
      order.push('c');
      throw new Error('c failed');
    });
    s.add('d', () => {
      order.push('d');
    });
    await expect(s.run('test')).resolves.toBeUndefined();
    expect(order).toEqual(['d', 'c', 'b', 'a']);
  });

  it('runs only once when called twice', async () => {
    let calls = 0;
    const s = new Shutdown(silent, 1000);
    s.add('count', async () => {
      calls++;
      await sleep(10);
    });
    const first = s.run('SIGTERM');
    const second = s.run('SIGINT');
    await Promise.all([first, second]);
    expect(calls).toBe(1);
    await s.run('again');
    expect(calls).toBe(1);
  });

  it('rejects when the deadline passes', async () => {
    const s = new Shutdown(silent, 50);
    let later = false;
    s.add('registered first, never reached', () => {
      later = true;
    });
    s.add('stuck', () => new Promise<void>(() => {}));
    const started = Date.now();
    await expect(s.run('test')).rejects.toThrow(/50 ms/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(1000);
    expect(later).toBe(false);
  });

  it('a second call after a deadline failure returns the same rejection', async () => {
    const s = new Shutdown(silent, 30);
    let calls = 0;
    s.add('stuck', () => {
      calls++;
      return new Promise<void>(() => {});
    });
    await expect(s.run('one')).rejects.toThrow();
    await expect(s.run('two')).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('with no steps resolves at once', async () => {
    await expect(new Shutdown(silent, 50).run('empty')).resolves.toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// retry

describe('retry', () => {
  it('retries with exponential backoff until success', async () => {
    const attempts: number[] = [];
    const delays: number[] = [];
    const errors: string[] = [];
    const started = Date.now();
    const result = await retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 4) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      {
        baseMs: 5,
        maxMs: 1000,
        onError: (err, attempt, delay) => {
          errors.push(`${(err as Error).message}@${attempt}`);
          delays.push(delay);
        },
      },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(errors).toEqual(['fail 1@1', 'fail 2@2', 'fail 3@3']);
    expect(delays).toEqual([5, 10, 20]);
    // It really waited: 5 + 10 + 20 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
  });

  it('caps the backoff at maxMs', async () => {
    const delays: number[] = [];
    await retry(
      async (attempt) => {
        if (attempt < 6) throw new Error('no');
        return attempt;
      },
      { baseMs: 2, maxMs: 10, onError: (_e, _a, d) => delays.push(d) },
    );
    expect(delays).toEqual([2, 4, 8, 10, 10]);
  });

  it('returns at once when the first attempt succeeds', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        return 42;
      }),
    ).resolves.toBe(42);
    expect(calls).toBe(1);
  });

  it('stops when shouldStop returns true, rethrowing the last error', async () => {
    let calls = 0;
    let stop = false;
    const p = retry(
      async () => {
        calls++;
        if (calls === 3) stop = true;
        throw new Error(`attempt ${calls} failed`);
      },
      { baseMs: 1, maxMs: 5, shouldStop: () => stop },
    );
    await expect(p).rejects.toThrow('attempt 3 failed');
    expect(calls).toBe(3);
  });

  it('stops at an error that shouldStop says asking again will not cure', async () => {
    let calls = 0;
    const p = retry(
      async () => {
        calls++;
        throw new Error(calls === 2 ? 'permanent' : 'transient');
      },
      { baseMs: 1, maxMs: 5, shouldStop: (err) => (err as Error).message === 'permanent' },
    );
    await expect(p).rejects.toThrow('permanent');
    expect(calls).toBe(2);
  });

  it('stops at once when shouldStop is already true', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('down');
        },
        { baseMs: 1, shouldStop: () => true },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`try ${calls}`);
        },
        { baseMs: 1, maxAttempts: 3 },
      ),
    ).rejects.toThrow('try 3');
    expect(calls).toBe(3);
  });
});

describe('Shutdown step timeout', () => {
  it('goes on with the later steps when one step never finishes', async () => {
    const { Shutdown } = await import('../src/shutdown.ts');
    const { createLogger } = await import('../src/logger.ts');
    const logger = createLogger('test');
    logger.level = 'silent';
    const ran: string[] = [];
    const shutdown = new Shutdown(logger, 2_000, 50);
    shutdown.add('broker', () => void ran.push('broker'));
    shutdown.add('stuck consumer', () => new Promise<void>(() => undefined));
    await shutdown.run('test');
    expect(ran).toEqual(['broker']);
  });
});
