import { Logger } from '@nestjs/common';
import { describeBrokerContract } from 'nestjs-event-stream/broker';
import { PostgresSseBroker } from 'nestjs-event-stream/postgres';
import { CaptureLogger } from '../utils/capture-logger.js';
import { POSTGRES_URL, randomNamespace } from '../utils/postgres.js';

Logger.overrideLogger(new CaptureLogger());

describeBrokerContract(
  'PostgresSseBroker',
  (options) =>
    new PostgresSseBroker({ url: POSTGRES_URL, namespace: randomNamespace('contract'), history: { ...options } }),
);
