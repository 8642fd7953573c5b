/**
 * What the cross-instance bench needs of each broker's server beyond the
 * broker itself: whether it answers (else the contender is skipped), and the
 * removal of the namespace a run made, so that runs leave nothing on the
 * shared servers. Each client is loaded only for its own scheme.
 */

const schemeOf = (url) => /^([a-z]+):/.exec(url)?.[1];

/** Rejects unless the server of `url` answers within `timeoutMs`. */
export async function probeBrokerServer(url, timeoutMs = 2000) {
  const scheme = schemeOf(url);
  if (scheme === 'redis') {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  } else if (scheme === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  } else if (scheme === 'nats') {
    const { connect } = await import('nats');
    const nc = await connect({ servers: url, timeout: timeoutMs, maxReconnectAttempts: 0 });
    await nc.close();
  }
}

/** The PostgreSQL broker's tables, whose rows name their namespace. */
const POSTGRES_TABLES = ['sse_namespaces', 'sse_channels', 'sse_events', 'sse_idempotency', 'sse_spill', 'sse_claims'];

/** Removes what the brokers of a run stored under `namespace` (a Redis key prefix `<namespace>:`, tagged or not). */
export async function removeBrokerNamespace(url, namespace) {
  const scheme = schemeOf(url);
  if (scheme === 'redis') {
    const { Redis } = await import('ioredis');
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await probe.connect();
    const clustered = (await probe.info('cluster')).includes('cluster_enabled:1');
    await probe.quit();
    const masters = clustered ? await listMasters(url, Redis) : [url];
    for (const node of masters) {
      const redis = new Redis(node, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        for (const pattern of [`${namespace}:*`, `{${namespace}:}*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            for (const key of keys) await redis.del(key);
          } while (cursor !== '0');
        }
      } finally {
        await redis.quit();
      }
    }
  } else if (scheme === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const table of POSTGRES_TABLES) {
        await client.query(`DELETE FROM public.${table} WHERE namespace = $1`, [namespace]).catch(() => undefined);
      }
    } finally {
      await client.end();
    }
  } else if (scheme === 'nats') {
    const { connect } = await import('nats');
    const nc = await connect({ servers: url, maxReconnectAttempts: 0 });
    try {
      const jsm = await nc.jetstreamManager();
      const names = [];
      for await (const name of jsm.streams.names()) {
        if (/^(KV_)?SSE_[A-Z]+_/.test(name) && name.endsWith(`_${namespace}`)) names.push(name);
      }
      for (const name of names) await jsm.streams.delete(name);
    } finally {
      await nc.close();
    }
  }
}

/** The `redis://host:port` of every master of the cluster that `url` is a node of. */
async function listMasters(url, Redis) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const lines = String(await redis.cluster('NODES')).split('\n');
    return lines
      .map((line) => line.split(' '))
      .filter((fields) => fields[2]?.includes('master'))
      .map((fields) => `redis://${fields[1].split('@')[0]}`);
  } finally {
    await redis.quit();
  }
}
