/**
 * Entry of a worker process when `lo` runs from its sources (tests, `npm run dev`): loading just the
 * load generator under tsx takes under a second, the whole CLI several. The bundle has one entry
 * and starts its workers through the hidden `lo bench-worker` command instead.
 */
import { runWorkerProcess } from './worker-link.js';

runWorkerProcess();
