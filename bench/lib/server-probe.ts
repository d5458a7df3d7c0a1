/**
 * Preloaded (`--import`) into every server the real-time benchmarks measure, Lo included, so the parent
 * can force a full garbage collection before it reads the server's RSS. Needs `--expose-gc` and an IPC
 * channel; does nothing without them. It adds no timers and answers only when asked.
 */
import v8 from 'node:v8';
import { answerCalls } from './child-rpc.js';

export interface ProbeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Committed bytes of V8's young generation (new space), which grows under allocation bursts and stays. */
  newSpace: number;
}

if (process.send !== undefined) {
  answerCalls({
    /** Two full collections (the second frees what the first's finalizers released), then memoryUsage(). */
    gc: (): ProbeMemory => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc === undefined) throw new Error('start the server with --expose-gc');
      gc();
      gc();
      const newSpace = v8
        .getHeapSpaceStatistics()
        .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
        .reduce((sum, space) => sum + space.space_size, 0);
      return { ...process.memoryUsage(), newSpace };
    },
  });
  // The channel must not keep a server alive that wants to exit (Lo exits on SIGTERM by itself), and a
  // server whose benchmark died (even by SIGKILL) shuts down as on SIGTERM instead of lingering.
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
