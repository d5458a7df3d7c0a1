export { createClient, LoClient } from './client.js';
export type { ClientOptions, PageOptions, ReactionResult, ReportResult } from './client.js';
export { LoApiError } from './errors.js';
export type { Tokens } from './session.js';
export type * from '@lo/protocol';
export { DISTANCE_BANDS, ERRORS, LIMITS } from '@lo/protocol';
