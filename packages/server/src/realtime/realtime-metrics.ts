import { Gauge } from 'prom-client';
import type { Metrics } from '../ops/metrics.js';
import type { RealtimeNode } from './realtime-node.js';

/** Real-time gauges, read from the node when Prometheus scrapes (no per-message metric work). */
export function registerRealtimeMetrics(metrics: Metrics, node: RealtimeNode): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'lo_ws_connections',
    help: 'Open WebSocket connections',
    registers,
    collect() {
      this.set(node.connectionCount);
    },
  });
  new Gauge({
    name: 'lo_ws_subscriptions',
    help: 'Channel subscriptions on this node',
    registers,
    collect() {
      this.set(node.hub.stats.subscriptions);
    },
  });
  new Gauge({
    name: 'lo_ws_channels',
    help: 'Channels with subscribers on this node',
    registers,
    collect() {
      this.set(node.hub.stats.channels);
    },
  });
  new Gauge({
    name: 'lo_ws_deliveries',
    help: 'Frames delivered to subscribers since start (a counter read as a gauge)',
    registers,
    collect() {
      this.set(node.hub.stats.deliveries);
    },
  });
  new Gauge({
    name: 'lo_ws_gap_fills',
    help: 'Out-of-order publications whose predecessors were read from the store',
    registers,
    collect() {
      this.set(node.hub.stats.gapFills);
    },
  });
  new Gauge({
    name: 'lo_ws_resyncs',
    help: 'Channels caught up from the store after the broker reconnected or did not take a publication',
    registers,
    collect() {
      this.set(node.hub.stats.resyncs);
    },
  });
  new Gauge({
    name: 'lo_geo_areas',
    help: 'Live geo areas (geo.sub) on this node',
    registers,
    collect() {
      this.set(node.geo.stats.areas);
    },
  });
  new Gauge({
    name: 'lo_geo_cells',
    help: 'Geohash cells covered by this node’s live geo areas (= geo cell topics it listens to)',
    registers,
    collect() {
      this.set(node.geo.stats.cells);
    },
  });
  new Gauge({
    name: 'lo_geo_candidates',
    help: 'Live geo areas checked against a post since start: only those of its cells (a counter read as a gauge)',
    registers,
    collect() {
      this.set(node.geo.stats.candidates);
    },
  });
  new Gauge({
    name: 'lo_ws_closes',
    help: 'WebSocket closes by reason since start (slow_consumer, token_expired, …)',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      for (const [reason, count] of node.closeReasons) this.set({ reason }, count);
    },
  });
}
