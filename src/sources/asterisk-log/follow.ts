// Follows a log file by name across rotation, like `tail -F`, by polling stat():
//  - rename + new file (logrotate "create", Asterisk `logger rotate`): the inode changes; the old file
//    is read to its end and kept open for drainMs, because Asterisk writes to the renamed file until
//    it reopens its logs (logrotate's postrotate `logger reload`);
//  - truncation and copytruncate: the size drops below our position, or the first bytes change (the
//    file was truncated and has grown past our position again between two polls); we restart at 0.
// Known limit (copytruncate race): lines written after our last read and before the truncation are
// only in the copy and are lost. Everything else is read exactly once.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LineSplitter } from '../lines.ts';
import { SourceSetupError, sleep } from '../source.ts';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FollowOptions {
  /** Read the file from its beginning instead of its end (only the file present at start). */
  fromStart?: boolean;
  /** How often to stat the file, ms (default 250). */
  pollMs?: number;
  /** How long a rotated-away file is still read after it stops growing, ms (default 5000). */
  drainMs?: number;
  /** Called for a line longer than the limit (it is dropped). */
  onOverlong?: () => void;
  /** Rotation, truncation, disappearance: for the log. */
  onNotice?: (what: 'rotated' | 'truncated' | 'missing' | 'opened', detail: string) => void;
}

const HEAD_BYTES = 64;
// One read is one batch of events (~1,300 Asterisk lines, a few ms of signature work): bigger reads
// cost less CPU per byte (64 KB reads took ~1.5x the CPU of 256 KB ones), smaller batches keep other
// sources' events from waiting behind a long backlog.
const CHUNK_BYTES = 256 * 1024;
const MAX_DRAINING = 4;

interface OpenFile {
  fh: FileHandle;
  ino: number;
  dev: number;
  pos: number;
  /** The file's first bytes as we saw them: a different beginning means the content was replaced. */
  head: Buffer;
  splitter: LineSplitter;
  lastGrowth: number;
}

/** Yields batches of complete lines appended to path until the signal aborts. */
export async function* followLines(path: string, signal: AbortSignal, opts: FollowOptions = {}): AsyncGenerator<string[]> {
  const follower = new Follower(path, opts);
  // The poll is the truth (it survives rotation and filesystems without inotify); a watch on the
  // directory only wakes it early, so a line is read within milliseconds instead of a poll period.
  let waker = new AbortController();
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (!name || name.toString() === basename(path)) waker.abort();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null; // no inotify here: polling alone
  }
  try {
    let first = true;
    while (!signal.aborted) {
      for await (const lines of follower.poll(first)) {
        if (lines.length > 0) yield lines;
        if (signal.aborted) return;
      }
      first = false;
      await sleep(opts.pollMs ?? 250, AbortSignal.any([signal, waker.signal]));
      waker = new AbortController();
    }
  } finally {
    watcher?.close();
    await follower.close();
  }
}

class Follower {
  private current: OpenFile | null = null;
  private draining: OpenFile[] = [];
  private reportedMissing = false;

  constructor(
    private readonly path: string,
    private readonly opts: FollowOptions,
  ) {}

  async *poll(first: boolean): AsyncGenerator<string[]> {
    for (const old of this.draining) yield* this.readNew(old);
    await this.closeIdleDraining();
    const st = await statOrNull(this.path);
    const cur = this.current;
    if (cur && (!st || st.ino !== cur.ino || st.dev !== cur.dev)) {
      yield* this.readNew(cur); // the renamed file's last lines, before the new file's first
      this.retire(cur);
      this.opts.onNotice?.('rotated', this.path);
    } else if (cur && (st!.size < cur.pos || !(await this.sameHead(cur)))) {
      cur.pos = 0;
      cur.head = Buffer.alloc(0);
      cur.splitter.reset();
      this.opts.onNotice?.('truncated', this.path);
    }
    if (!this.current && st) {
      this.current = await this.openFile(first && !this.opts.fromStart);
      this.reportedMissing = false;
    } else if (!st && !this.reportedMissing) {
      this.reportedMissing = true;
      this.opts.onNotice?.('missing', this.path);
    }
    if (this.current) yield* this.readNew(this.current);
  }

  async close(): Promise<void> {
    for (const f of [...this.draining, ...(this.current ? [this.current] : [])]) await f.fh.close().catch(() => {});
    this.draining = [];
    this.current = null;
  }

  private async openFile(atEnd: boolean): Promise<OpenFile> {
    const fh = await open(this.path, 'r').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EACCES' && e.code !== 'EPERM') throw e;
      throw new SourceSetupError('ERR_SOURCE', `cannot read ${this.path}: ${e.message}`, { cause: e, hint: 'run sipwarden as a user that can read the Asterisk logs (group asterisk or adm)' });
    });
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new SourceSetupError('ERR_SOURCE', `${this.path} is not a regular file: detect.asterisk.logs lists log files`);
    }
    const splitter = new LineSplitter(() => this.opts.onOverlong?.());
    const file: OpenFile = { fh, ino: st.ino, dev: st.dev, pos: 0, head: Buffer.alloc(0), splitter, lastGrowth: Date.now() };
    if (atEnd && st.size > 0) {
      file.pos = st.size;
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, st.size - 1);
      if (last[0] !== 10) splitter.skipToNextLine(); // we start mid-line: its beginning is not ours
    }
    file.head = await readHead(fh);
    this.opts.onNotice?.('opened', `${this.path} at ${file.pos}`);
    return file;
  }

  private async *readNew(file: OpenFile): AsyncGenerator<string[]> {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.fh.read(buf, 0, CHUNK_BYTES, file.pos);
      if (bytesRead === 0) return;
      file.pos += bytesRead;
      file.lastGrowth = Date.now();
      if (file.head.length < HEAD_BYTES) file.head = await readHead(file.fh);
      yield file.splitter.push(buf.subarray(0, bytesRead));
    }
  }

  private async sameHead(file: OpenFile): Promise<boolean> {
    const now = await readHead(file.fh);
    const n = Math.min(now.length, file.head.length);
    return now.subarray(0, n).equals(file.head.subarray(0, n));
  }

  private retire(file: OpenFile): void {
    this.current = null;
    this.draining.push(file);
    while (this.draining.length > MAX_DRAINING) void this.draining.shift()!.fh.close().catch(() => {});
  }

  private async closeIdleDraining(): Promise<void> {
    const limit = Date.now() - (this.opts.drainMs ?? 5000);
    const idle = this.draining.filter((f) => f.lastGrowth < limit);
    this.draining = this.draining.filter((f) => f.lastGrowth >= limit);
    for (const f of idle) await f.fh.close().catch(() => {});
  }
}

async function readHead(fh: FileHandle): Promise<Buffer> {
  const buf = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
  return buf.subarray(0, bytesRead);
}

async function statOrNull(path: string): Promise<{ ino: number; dev: number; size: number } | null> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
