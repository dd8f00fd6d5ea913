import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where the fault, fuzz and soak runs leave their figures for `npm run reliability:readme`. */
export const REPORT_DIR = path.resolve(__dirname, '..', '..', '..', 'reports');

/** Merges `figures` under `section` into reports/<file>.json (created on first use). */
export function recordFigures(file: string, section: string, figures: Record<string, unknown>): void {
  mkdirSync(REPORT_DIR, { recursive: true });
  const target = path.join(REPORT_DIR, `${file}.json`);
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  current[section] = { ...figures, at: new Date().toISOString() };
  writeFileSync(target, `${JSON.stringify(current, null, 2)}\n`);
}

/** A small seeded generator (mulberry32): the same FAULT_SEED gives the same kill points. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One kill -9 round, as test:faults records it and reliability:readme reads it. */
export interface KillRound {
  round: number;
  killAtMs: number;
  ticketsBeforeKill: number;
  confirmationsAtKill: number;
  tickets: number;
  duplicates: number;
  missing: number;
  lostPlace: number;
  ticketSmsDuplicates: number;
  ticketSmsMissing: number;
  /** Ticket SMS of tickets written before the kill that had not gone out: restart → sent. */
  orphanedSmsWaitMs: number[];
  restartMs: number;
  resent: number;
}
