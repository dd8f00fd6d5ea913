import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, serialize, type Document } from 'bson';
import type { Logger } from '../../logging/logger';
import { DESERIALIZE_OPTIONS } from './wireProtocol';

const MAGIC = Buffer.from('CKSTORE1', 'ascii');
const FRAME_HEADER = 8; // u32 payload length + u32 crc32 of the payload
const JOURNAL_FILE = 'store.journal';
const COMPACT_FILE = 'store.journal.compact';
const LOCK_FILE = 'store.lock';
/** Snapshot buffers are written in chunks of about this size. */
const WRITE_CHUNK = 4 * 1024 * 1024;

export interface JournalOptions {
  dir: string;
  logger: Logger;
  /** Rewrite the journal while running once it has grown by this much and doubled the live data. */
  compactAfterBytes?: number;
}

export interface ReplayStats {
  records: number;
  bytes: number;
  /** A torn or corrupt tail was found (a crash during an unacknowledged write) and dropped. */
  tornTail: boolean;
}

/** Data directories held by this process: a second server on the same directory would corrupt it. */
const heldDirectories = new Set<string>();

/**
 * An append-only journal of state changes with group commit: `append` frames a record in memory
 * synchronously (so the change and its record are atomic with respect to other commands), and
 * `sync` resolves once every record appended so far is on disk (fdatasync). Records appended while
 * a write+fdatasync is running are written together by the next one, so many concurrent writers
 * share each fsync. At start-up the journal is replayed (a torn last record is dropped) and then
 * compacted into a snapshot, atomically via rename; the same compaction runs online when the file
 * has grown well past the live data.
 */
export class Journal {
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly compactAfterBytes: number;
  private handle: fs.FileHandle | null = null;
  private pending: Buffer[] = [];
  private appendedSeq = 0;
  private durableSeq = 0;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (error: Error) => void }> = [];
  private running: Promise<void> | null = null;
  private failure: Error | null = null;
  private bytesSinceSnapshot = 0;
  private snapshotBytes = 0;
  private snapshotProvider: (() => Iterable<Document>) | null = null;
  private locked = false;
  private closed = false;
  private syncs = 0;
  private synced = 0;

  constructor(options: JournalOptions) {
    this.dir = path.resolve(options.dir);
    this.logger = options.logger;
    this.compactAfterBytes = options.compactAfterBytes ?? 64 * 1024 * 1024;
  }

  /** fdatasync calls made and records they covered: with group commit, far fewer calls than records. */
  get stats(): { syncs: number; recordsSynced: number } {
    return { syncs: this.syncs, recordsSynced: this.synced };
  }

  get file(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /**
   * Takes the directory lock, replays every intact record through `apply`, then writes a compact
   * snapshot (from `snapshot`, called after the replay) and opens the journal for appending.
   */
  async open(apply: (record: Document) => void, snapshot: () => Iterable<Document>): Promise<ReplayStats> {
    await fs.mkdir(this.dir, { recursive: true });
    await this.lock();
    try {
      const stats = await this.replay(apply);
      this.snapshotProvider = snapshot;
      await this.writeSnapshot();
      return stats;
    } catch (error) {
      await this.unlock();
      throw error;
    }
  }

  /** Throws once a disk write has failed: from then on nothing may change (memory would run ahead of disk). */
  assertHealthy(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('journal is closed');
  }

  /** Frames a record for the next group commit. Synchronous: call it in the same tick as the change. */
  append(record: Document): void {
    if (this.closed) throw new Error('journal is closed');
    const payload = serialize(record);
    const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    frame.set(payload, FRAME_HEADER);
    this.pending.push(frame);
    this.appendedSeq += 1;
  }

  /** Resolves when everything appended so far is durable; rejects if the disk failed. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.appendedSeq;
    if (this.durableSeq >= seq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.kick();
    });
  }

  /** Flushes what is pending, then closes the file and releases the directory lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failure) await this.sync();
    } finally {
      this.closed = true;
      await this.running;
      await this.handle?.close();
      this.handle = null;
      await this.unlock();
    }
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.flushLoop().finally(() => {
      this.running = null;
      // Someone may have appended between the loop's last check and its end.
      if (this.waiters.length > 0 && !this.failure) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.durableSeq < this.appendedSeq) {
        const target = this.appendedSeq;
        if (this.shouldCompact()) {
          // The snapshot is taken now and already contains every change appended so far.
          this.pending = [];
          await this.writeSnapshot();
        } else {
          const batch = this.pending;
          this.pending = [];
          const buffer = batch.length === 1 ? batch[0] : Buffer.concat(batch);
          await this.writeAll(buffer);
          await this.handle!.datasync();
          this.syncs += 1;
          this.synced += batch.length;
          this.bytesSinceSnapshot += buffer.length;
        }
        this.durableSeq = target;
        this.settle();
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.logger.fatal({ err: this.failure }, 'journal write failed; the store refuses further writes');
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    }
  }

  private settle(): void {
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= this.durableSeq) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private shouldCompact(): boolean {
    return this.bytesSinceSnapshot > Math.max(this.compactAfterBytes, this.snapshotBytes);
  }

  private async writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle!.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  }

  private async replay(apply: (record: Document) => void): Promise<ReplayStats> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { records: 0, bytes: 0, tornTail: false };
      throw error;
    }
    if (data.length === 0) return { records: 0, bytes: 0, tornTail: false };
    if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
      // Only the magic itself can be torn (a crash while creating the file); anything else isn't ours.
      if (data.length < MAGIC.length && MAGIC.subarray(0, data.length).equals(data)) {
        return { records: 0, bytes: data.length, tornTail: true };
      }
      throw new Error(`${this.file} is not an embedded store journal`);
    }
    let offset = MAGIC.length;
    let records = 0;
    let tornTail = false;
    while (offset < data.length) {
      if (offset + FRAME_HEADER > data.length) {
        tornTail = true;
        break;
      }
      const length = data.readUInt32LE(offset);
      const checksum = data.readUInt32LE(offset + 4);
      const end = offset + FRAME_HEADER + length;
      if (end > data.length) {
        tornTail = true;
        break;
      }
      const payload = data.subarray(offset + FRAME_HEADER, end);
      if (crc32(payload) !== checksum) {
        tornTail = true;
        break;
      }
      apply(deserialize(payload, DESERIALIZE_OPTIONS));
      records += 1;
      offset = end;
    }
    if (tornTail) {
      this.logger.warn(
        { droppedBytes: data.length - offset, records },
        'journal ends with a torn record (crash during an unacknowledged write); dropping it',
      );
    }
    return { records, bytes: data.length, tornTail };
  }

  /** Writes the live state to a new file, fsyncs it, renames it over the journal, fsyncs the directory. */
  private async writeSnapshot(): Promise<void> {
    const provider = this.snapshotProvider;
    if (!provider) throw new Error('journal has no snapshot provider');
    // Serialise everything synchronously so the snapshot is one consistent moment.
    const frames: Buffer[] = [MAGIC];
    let total = MAGIC.length;
    for (const record of provider()) {
      const payload = serialize(record);
      const header = Buffer.allocUnsafe(FRAME_HEADER);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      frames.push(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      total += FRAME_HEADER + payload.length;
    }
    const temporary = path.join(this.dir, COMPACT_FILE);
    const out = await fs.open(temporary, 'w');
    try {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      for (const frame of frames) {
        chunk.push(frame);
        chunkBytes += frame.length;
        if (chunkBytes >= WRITE_CHUNK) {
          await out.write(Buffer.concat(chunk));
          chunk = [];
          chunkBytes = 0;
        }
      }
      if (chunkBytes > 0) await out.write(Buffer.concat(chunk));
      await out.datasync();
    } finally {
      await out.close();
    }
    await this.handle?.close();
    this.handle = null;
    await fs.rename(temporary, this.file);
    await this.syncDirectory();
    this.handle = await fs.open(this.file, 'a');
    this.snapshotBytes = total;
    this.bytesSinceSnapshot = 0;
    this.logger.debug({ bytes: total }, 'journal compacted');
  }

  private async syncDirectory(): Promise<void> {
    const directory = await fs.open(this.dir, fsConstants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  private async lock(): Promise<void> {
    if (heldDirectories.has(this.dir))
      throw new Error(`data directory ${this.dir} is already open in this process`);
    const lockFile = path.join(this.dir, LOCK_FILE);
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await fs.readFile(lockFile, 'utf8')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`data directory ${this.dir} is in use by process ${holder}`);
      }
      // A stale lock from a process that died (e.g. kill -9): take it over.
      await fs.writeFile(lockFile, String(process.pid));
    }
    heldDirectories.add(this.dir);
    this.locked = true;
  }

  private async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    heldDirectories.delete(this.dir);
    await fs.rm(path.join(this.dir, LOCK_FILE), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
