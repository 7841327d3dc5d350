import { topologyFromEnv, type ClickhouseConfig } from '@notify-stats/clickhouse';
import { testBackend } from './backend.ts';
import { tempDir } from './broker.ts';

/** One server database per embedded-engine folder, so a test that reopens a folder reopens its data. */
const databases = new Map<string, string>();

/**
 * Where a test's pipeline keeps its data: the embedded engine in `path` (a fresh folder when
 * unset), or with the containers backend a fresh database on a ClickHouse server container,
 * with the cluster DDL when CLICKHOUSE_CLUSTER names a cluster.
 */
export async function testClickhouseConfig(path = tempDir('clickhouse')): Promise<ClickhouseConfig> {
  if ((await testBackend()) === 'local') return { path };
  let url = databases.get(path);
  if (!url) {
    const { containerClickhouseUrl } = await import('./containers.ts');
    url = await containerClickhouseUrl();
    databases.set(path, url);
  }
  return { url, path, topology: topologyFromEnv({ CLICKHOUSE_CLUSTER: process.env.CLICKHOUSE_CLUSTER, CLICKHOUSE_URL: url }) };
}
