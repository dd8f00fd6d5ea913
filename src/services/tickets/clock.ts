/** Where services get "now": injected so tests can stand exactly on a boundary date. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
