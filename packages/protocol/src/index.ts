export * from './errors.js';
export * from './limits.js';
export * from './realtime.js';
export * from './codec.js';
export * from './live-location.js';
export type * from './api.js';
export type * from './rooms.js';
