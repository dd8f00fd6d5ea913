import { promises as fs, constants as fsConstants, fdatasyncSync, writeSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { calculateObjectSize, deserialize, serializeWithBufferAndIndex, type Document } from 'bson';
import type { Logger } from '../../logging/logger';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from './privateDirectory';
import { DESERIALIZE_OPTIONS } from './wireProtocol';

const MAGIC = Buffer.from('CKSTORE1', 'ascii');
const FRAME_HEADER = 8; // u32 payload length + u32 crc32 of the payload
const BSON_STRING = 0x02;
const BSON_DOCUMENT = 0x03;
const JOURNAL_FILE = 'store.journal';
const COMPACT_FILE = 'store.journal.compact';
const LOCK_FILE = 'store.lock';
/** Snapshot buffers are written in chunks of about this size. */
const WRITE_CHUNK = 4 * 1024 * 1024;
/** Group-commit buffers start this big and grow as needed; a grown one is not kept past its group. */
const GROUP_BUFFER_BYTES = 256 * 1024;
/**
 * Appends open the file with O_DSYNC where the platform has it: each group is then one write that
 * returns once the data is on disk (one thread-pool round trip instead of write + fdatasync).
 */
const DSYNC: number | undefined = fsConstants.O_DSYNC;
const APPEND_FLAGS =
  DSYNC === undefined ? 'a' : fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | DSYNC;

export interface JournalOptions {
  dir: string;
  logger: Logger;
  /** Rewrite the journal while running once it has grown by this much and doubled the live data. */
  compactAfterBytes?: number;
  /**
   * 'blocking': group writes run on the caller's thread, blocking it until the data is on disk —
   * for a thread that does nothing else (the store's worker): no thread-pool hand-off and wake-up
   * per group, and everything that arrives meanwhile forms the next group. Default 'threadpool'.
   */
  writes?: 'threadpool' | 'blocking';
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
 * `sync` resolves once every record appended so far is on disk (an O_DSYNC write, or write +
 * fdatasync). Records appended while a group is being written are written together by the next
 * one, so many concurrent writers share each disk sync; each group is one buffer, filled in place.
 * At start-up the journal is replayed (a torn last record is dropped) and then compacted into a
 * snapshot, atomically via rename; the same compaction runs online when the file has grown well
 * past the live data.
 */
export class Journal {
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly compactAfterBytes: number;
  private handle: fs.FileHandle | null = null;
  /** Frames appended since the last group was handed to the disk, back to back. */
  private pending: Buffer = Buffer.allocUnsafe(GROUP_BUFFER_BYTES);
  private pendingBytes = 0;
  private pendingRecords = 0;
  /** The previous group's buffer, reused once its write is done. */
  private spare: Buffer | null = null;
  private appendedSeq = 0;
  private durableSeq = 0;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (error: Error) => void }> = [];
  private running: Promise<void> | null = null;
  private readonly blocking: boolean;
  /** The blocking group write scheduled for after this turn of the event loop. */
  private scheduled: NodeJS.Immediate | null = null;
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
    this.blocking = options.writes === 'blocking';
  }

  /** Durable writes (disk syncs) made and records they covered: with group commit, far fewer syncs than records. */
  get stats(): { syncs: number; recordsSynced: number } {
    return { syncs: this.syncs, recordsSynced: this.synced };
  }

  get file(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /**
   * Takes the directory lock, replays every intact record through `apply`, then writes a compact
   * snapshot and opens the journal for appending. `snapshot` is called at each snapshot's moment
   * (after the replay, and at every online compaction); the records it returns are read while the
   * snapshot is written, so they must not change afterwards (a view of immutable documents).
   */
  async open(apply: (record: Document) => void, snapshot: () => Iterable<Document>): Promise<ReplayStats> {
    await ensurePrivateDirectory(this.dir, this.logger);
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
    const start = this.pendingBytes;
    let end: number;
    try {
      // Serialised straight into the group buffer: no buffer per record.
      end = serializeWithBufferAndIndex(record, this.pending, { index: start + FRAME_HEADER }) + 1;
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      // It did not fit (nothing was written): grow to the exact size and serialise again.
      this.reserve(FRAME_HEADER + calculateObjectSize(record));
      end = serializeWithBufferAndIndex(record, this.pending, { index: start + FRAME_HEADER }) + 1;
    }
    this.seal(start, end);
  }

  /**
   * Frames a record made of string fields and one sub-document that is already BSON (an inserted
   * document as it came off the wire): the same bytes `append` would write for
   * `{ ...fields, [name]: deserialize(bytes) }`, without serialising the document again.
   */
  appendWithDocument(fields: Readonly<Record<string, string>>, name: string, bytes: Uint8Array): void {
    if (this.closed) throw new Error('journal is closed');
    const entries = Object.entries(fields);
    let size = 4 + 1 + (1 + Buffer.byteLength(name) + 1 + bytes.length);
    for (const [key, value] of entries)
      size += 1 + Buffer.byteLength(key) + 1 + 4 + Buffer.byteLength(value) + 1;
    this.reserve(FRAME_HEADER + size);
    const out = this.pending;
    const start = this.pendingBytes;
    let at = start + FRAME_HEADER;
    out.writeInt32LE(size, at);
    at += 4;
    for (const [key, value] of entries) {
      out[at++] = BSON_STRING;
      at += out.write(key, at, 'utf8');
      out[at++] = 0;
      const length = out.write(value, at + 4, 'utf8');
      out.writeInt32LE(length + 1, at);
      at += 4 + length;
      out[at++] = 0;
    }
    out[at++] = BSON_DOCUMENT;
    at += out.write(name, at, 'utf8');
    out[at++] = 0;
    out.set(bytes, at);
    at += bytes.length;
    out[at++] = 0;
    this.seal(start, at);
  }

  /** Writes the frame header for the payload at [start + FRAME_HEADER, end) and counts the record. */
  private seal(start: number, end: number): void {
    const payload = this.pending.subarray(start + FRAME_HEADER, end);
    this.pending.writeUInt32LE(payload.length, start);
    this.pending.writeUInt32LE(crc32(payload), start + 4);
    this.pendingBytes = end;
    this.pendingRecords += 1;
    this.appendedSeq += 1;
  }

  /** Makes room for `bytes` more in the group buffer. */
  private reserve(bytes: number): void {
    const needed = this.pendingBytes + bytes;
    if (needed <= this.pending.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.pending.length * 2));
    this.pending.copy(grown, 0, 0, this.pendingBytes);
    this.pending = grown;
  }

  /** Hands the pending group over (for writing, or to drop after a snapshot) and starts a new one. */
  private takePending(): { bytes: Buffer; records: number; owner: Buffer } {
    const owner = this.pending;
    const taken = { bytes: owner.subarray(0, this.pendingBytes), records: this.pendingRecords, owner };
    this.pending = this.spare ?? Buffer.allocUnsafe(GROUP_BUFFER_BYTES);
    this.spare = null;
    this.pendingBytes = 0;
    this.pendingRecords = 0;
    return taken;
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
    if (this.blocking && !this.shouldCompact()) {
      // After the event loop has run every command that is ready, so they all share one write.
      this.scheduled ??= setImmediate(() => this.flushBlocking());
      return;
    }
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
          this.takePending();
          await this.writeSnapshot();
        } else {
          const group = this.takePending();
          await this.writeAll(group.bytes);
          if (DSYNC === undefined) await this.handle!.datasync();
          this.groupWritten(group);
        }
        this.durableSeq = target;
        this.settle();
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** One group written and synced on this thread (see JournalOptions.writes). */
  private flushBlocking(): void {
    this.scheduled = null;
    if (this.running || this.failure || this.durableSeq >= this.appendedSeq) return;
    if (this.shouldCompact()) {
      this.kick();
      return;
    }
    try {
      const target = this.appendedSeq;
      const group = this.takePending();
      const fd = this.handle!.fd;
      for (let offset = 0; offset < group.bytes.length;) {
        offset += writeSync(fd, group.bytes, offset, group.bytes.length - offset);
      }
      if (DSYNC === undefined) fdatasyncSync(fd);
      this.groupWritten(group);
      this.durableSeq = target;
      this.settle();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Counts a group that is on disk and keeps its buffer for the next one. */
  private groupWritten(group: { bytes: Buffer; records: number; owner: Buffer }): void {
    this.syncs += 1;
    this.synced += group.records;
    this.bytesSinceSnapshot += group.bytes.length;
    // A buffer that grew for a big group is let go, so one burst doesn't pin memory.
    if (group.owner.length === GROUP_BUFFER_BYTES) this.spare = group.owner;
  }

  private fail(error: unknown): void {
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.logger.fatal({ err: this.failure }, 'journal write failed; the store refuses further writes');
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
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
    await writeFully(this.handle!, buffer);
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

  /**
   * Writes the live state to a new file, fsyncs it, renames it over the journal, fsyncs the
   * directory. The provider is called at once (that is the snapshot's moment); its records are
   * serialised chunk by chunk while writing, so the snapshot never needs a second copy of the data
   * in memory.
   */
  private async writeSnapshot(): Promise<void> {
    const provider = this.snapshotProvider;
    if (!provider) throw new Error('journal has no snapshot provider');
    const records = provider();
    const temporary = path.join(this.dir, COMPACT_FILE);
    const out = await fs.open(temporary, 'w', PRIVATE_FILE_MODE);
    let total = 0;
    try {
      // A leftover file keeps its old mode through open(): the snapshot becomes the journal, so 0600.
      await out.chmod(PRIVATE_FILE_MODE);
      let chunk = Buffer.allocUnsafe(WRITE_CHUNK + GROUP_BUFFER_BYTES);
      MAGIC.copy(chunk, 0);
      let used = MAGIC.length;
      for (const record of records) {
        const size = calculateObjectSize(record);
        if (used > 0 && used + FRAME_HEADER + size > chunk.length) {
          await writeFully(out, chunk.subarray(0, used));
          total += used;
          used = 0;
        }
        if (FRAME_HEADER + size > chunk.length) chunk = Buffer.allocUnsafe(FRAME_HEADER + size);
        const end = serializeWithBufferAndIndex(record, chunk, { index: used + FRAME_HEADER }) + 1;
        const payload = chunk.subarray(used + FRAME_HEADER, end);
        chunk.writeUInt32LE(payload.length, used);
        chunk.writeUInt32LE(crc32(payload), used + 4);
        used = end;
        if (used >= WRITE_CHUNK) {
          await writeFully(out, chunk.subarray(0, used));
          total += used;
          used = 0;
        }
      }
      if (used > 0) await writeFully(out, chunk.subarray(0, used));
      total += used;
      await out.datasync();
    } finally {
      await out.close();
    }
    await this.handle?.close();
    this.handle = null;
    await fs.rename(temporary, this.file);
    await this.syncDirectory();
    this.handle = await fs.open(this.file, APPEND_FLAGS, PRIVATE_FILE_MODE);
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
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx', mode: PRIVATE_FILE_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await fs.readFile(lockFile, 'utf8')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`data directory ${this.dir} is in use by process ${holder}`);
      }
      // A stale lock from a process that died (e.g. kill -9): take it over.
      await fs.writeFile(lockFile, String(process.pid), { mode: PRIVATE_FILE_MODE });
      await fs.chmod(lockFile, PRIVATE_FILE_MODE);
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

/** write(2) may write less than asked: loop until all of it is written. */
async function writeFully(handle: fs.FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
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
