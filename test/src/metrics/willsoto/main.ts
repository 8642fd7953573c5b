import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectMetric, PrometheusModule, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { SseModule } from '../../../../lib/index.js';
import { SsePrometheusModule } from '../../../../lib/prometheus/index.js';
import { MetricsFeedController } from '../metrics-fixture.js';

/** An app metric of its own, registered the @willsoto/nestjs-prometheus way. */
@Controller('orders')
class OrdersController {
  constructor(@InjectMetric('orders_total') private readonly orders: Counter) {}

  @Get('place')
  place() {
    this.orders.inc();
    return { ok: true };
  }
}

/**
 * @willsoto/nestjs-prometheus serves the global registry on its own
 * `/metrics` (with Node's default metrics); ours go into the same registry,
 * without an endpoint of their own.
 */
@Module({
  imports: [SseModule.forRoot(), PrometheusModule.register(), SsePrometheusModule.register({ path: false })],
  controllers: [MetricsFeedController, OrdersController],
  providers: [makeCounterProvider({ name: 'orders_total', help: 'Orders placed.' })],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error'], forceCloseConnections: true });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
process.stdout.write(`${JSON.stringify({ port })}\n`);
