import { RedisServer } from '../utils/redis.js';
import { describeTwoInstances } from '../utils/two-instances.js';

describeTwoInstances({ name: 'Redis', service: 'Redis', start: () => RedisServer.start() });
