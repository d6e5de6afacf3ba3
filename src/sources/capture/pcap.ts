// A streaming reader for the classic pcap format (what `tcpdump -w -` writes): a 24-byte global
// header (either byte order, microsecond or nanosecond magic), then records of a 16-byte header and
// the captured bytes. A garbage record header is skipped by searching for the next plausible one.

export const LINKTYPE = { EN10MB: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

export interface PcapHeader {
  littleEndian: boolean;
  nano: boolean;
  snaplen: number;
  linkType: number;
}

export interface PcapRecord {
  /** Capture time, Unix milliseconds (fractional). */
  at: number;
  linkType: number;
  /** The captured bytes (a view: copy what you keep). */
  data: Buffer;
  /** The length on the wire; more than data.length when the snap length cut the packet. */
  origLen: number;
}

/** The stream is not pcap at all (or pcapng, which must be converted first). */
export class PcapFormatError extends Error {}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_MAGIC = 0x0a0d0d0a;
/** No record is larger than this whatever the header's snaplen says (tcpdump -s 0 is 262144). */
const MAX_RECORD = 1024 * 1024;
const DAY_SECONDS = 86_400;

export function detectPcap(first4: Buffer): 'pcap' | 'pcapng' | null {
  if (first4.length < 4) return null;
  const le = first4.readUInt32LE(0);
  const be = first4.readUInt32BE(0);
  if (le === PCAPNG_MAGIC) return 'pcapng';
  return [MAGIC_US, MAGIC_NS].includes(le) || [MAGIC_US, MAGIC_NS].includes(be) ? 'pcap' : null;
}

export class PcapReader {
  header: PcapHeader | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private lastSec: number | null = null;
  private resyncing = false;

  constructor(private readonly onSkip: (reason: string) => void) {}

  /** The complete records in what has arrived so far. Throws PcapFormatError on a bad global header. */
  push(chunk: Buffer): PcapRecord[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.header) {
      if (this.buf.length < 24) return [];
      this.header = parseGlobalHeader(this.buf);
      this.buf = this.buf.subarray(24);
    }
    const out: PcapRecord[] = [];
    let off = 0;
    while (this.buf.length - off >= 16) {
      const rec = this.recordHeader(off);
      if (!rec) {
        if (!this.resyncing) this.onSkip('garbage-record');
        this.resyncing = true;
        off++;
        continue;
      }
      if (this.buf.length - off - 16 < rec.inclLen) break; // the rest has not arrived yet
      this.resyncing = false;
      this.lastSec = rec.sec;
      const data = this.buf.subarray(off + 16, off + 16 + rec.inclLen);
      out.push({ at: rec.sec * 1000 + rec.frac / (this.header.nano ? 1e6 : 1e3), linkType: this.header.linkType, data, origLen: rec.origLen });
      off += 16 + rec.inclLen;
    }
    // Copy the remainder so the records handed out do not pin a growing buffer.
    this.buf = Buffer.from(this.buf.subarray(off));
    return out;
  }

  /** The stream ended: a partial record left over is counted. */
  end(): void {
    if (this.buf.length > 0) this.onSkip('truncated-record');
    this.buf = Buffer.alloc(0);
  }

  private recordHeader(off: number): { sec: number; frac: number; inclLen: number; origLen: number } | null {
    const h = this.header!;
    const u32 = (at: number): number => (h.littleEndian ? this.buf.readUInt32LE(off + at) : this.buf.readUInt32BE(off + at));
    const sec = u32(0);
    const frac = u32(4);
    const inclLen = u32(8);
    const origLen = u32(12);
    const maxLen = Math.min(Math.max(h.snaplen, 65_535), MAX_RECORD);
    const plausible =
      frac < (h.nano ? 1e9 : 1e6) &&
      inclLen <= maxLen &&
      inclLen <= origLen &&
      origLen <= MAX_RECORD &&
      (this.lastSec === null || Math.abs(sec - this.lastSec) <= DAY_SECONDS);
    return plausible ? { sec, frac, inclLen, origLen } : null;
  }
}

function parseGlobalHeader(buf: Buffer): PcapHeader {
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  if (le === PCAPNG_MAGIC) throw new PcapFormatError('this is pcapng: convert it with tcpdump -r FILE -w - first');
  let littleEndian: boolean;
  let nano: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) [littleEndian, nano] = [true, le === MAGIC_NS];
  else if (be === MAGIC_US || be === MAGIC_NS) [littleEndian, nano] = [false, be === MAGIC_NS];
  else throw new PcapFormatError(`not a pcap stream: magic 0x${be.toString(16).padStart(8, '0')}`);
  const u32 = (at: number): number => (littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  // The upper 4 bits of the link type field carry FCS information, not the type.
  return { littleEndian, nano, snaplen: u32(16), linkType: u32(20) & 0x0fffffff };
}
