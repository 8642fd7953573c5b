import { NatsServer } from '../utils/nats.js';
import { describeTwoInstances } from '../utils/two-instances.js';

describeTwoInstances({ name: 'NATS JetStream', service: 'NATS', start: () => NatsServer.start() });
