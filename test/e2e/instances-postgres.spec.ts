import { PostgresServer } from '../utils/postgres.js';
import { describeTwoInstances } from '../utils/two-instances.js';

describeTwoInstances({ name: 'PostgreSQL', service: 'PostgreSQL', start: () => PostgresServer.start() });
