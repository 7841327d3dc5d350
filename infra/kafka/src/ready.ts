import { Kafka, logLevel } from 'kafkajs';

/**
 * A TCP accept only proves the socket is bound; KRaft brokers open it before they are
 * unfenced, so we wait until a metadata request actually lists this broker's node id.
 */
export function waitForBroker(broker: string, nodeId: number, deadline: number, aborted: () => Error | undefined): Promise<void> {
  return waitForNodes(broker, [nodeId], deadline, aborted);
}

/**
 * Waits until `broker`'s metadata lists every one of `nodeIds` as live. Each broker learns of the
 * others on its own schedule: one may already be unfenced while another broker's metadata does
 * not list it yet, so a cluster is ready once every broker lists every node.
 */
export async function waitForNodes(broker: string, nodeIds: readonly number[], deadline: number, aborted: () => Error | undefined): Promise<void> {
  const kafka = new Kafka({
    clientId: 'local-kafka-probe',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    const failure = aborted();
    if (failure) throw failure;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      // In a cluster another node may answer for the quorum before this one is unfenced.
      const missing = nodeIds.filter((id) => !brokers.some((b) => b.nodeId === id));
      if (missing.length === 0) return;
      lastError = new Error(`broker answered but does not list node ${missing.join(', ')} among the live brokers yet`);
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const failure = aborted();
  if (failure) throw failure;
  const reason = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
  throw new Error(`Kafka broker on ${broker} did not become ready in time${reason}`);
}
