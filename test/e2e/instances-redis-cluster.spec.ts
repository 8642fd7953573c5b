import { RedisClusterServer } from '../utils/redis-cluster.js';
import { describeTwoInstances } from '../utils/two-instances.js';

/** Two app processes on a private Redis Cluster of 3 masters: the instances find the cluster from one node (`cluster: 'auto'`). */
describeTwoInstances({ name: 'Redis Cluster', service: 'Redis', start: () => RedisClusterServer.start() });
