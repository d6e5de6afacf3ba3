// The Asterisk Manager Interface wire format: a banner line "Asterisk Call Manager/x.y", then
// messages that are blocks of "Key: value" lines ended by an empty line (CRLF, tolerated LF).

/** Keys Asterisk legitimately repeats within one message; any other repeat is refused (see below). */
const REPEATABLE_KEYS = new Set(['ChanVariable', 'Variable', 'Header', 'DestChanVariable']);
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
const BANNER = /^Asterisk Call Manager\/\d+(\.\d+)*/;

export type AmiMessage = Readonly<Record<string, string>>;

/** The peer is not an Asterisk manager (wrong port, another service). */
export class NotAmiError extends Error {}

export class AmiParser {
  /** The banner line once seen ("Asterisk Call Manager/9.0.0"). */
  banner: string | null = null;
  private text = '';
  // No prototype: a key named __proto__ or constructor is data like any other.
  private block: Record<string, string> = Object.create(null);
  private blockBytes = 0;
  private bad: string | null = null;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly onSkip: (reason: string) => void,
    private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  /** The complete messages in chunk. Throws only when the peer is not an AMI server at all. */
  push(chunk: Buffer): AmiMessage[] {
    this.text += this.decoder.decode(chunk, { stream: true });
    const out: AmiMessage[] = [];
    let start = 0;
    for (let nl = this.text.indexOf('\n'); nl !== -1; nl = this.text.indexOf('\n', start)) {
      const line = this.text.slice(start, this.text[nl - 1] === '\r' ? nl - 1 : nl);
      start = nl + 1;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    this.text = this.text.slice(start);
    if (this.text.length > this.maxBytes) {
      this.text = '';
      this.spoil('oversized-message');
    }
    return out;
  }

  private line(line: string): AmiMessage | null {
    if (this.banner === null) {
      if (!BANNER.test(line)) throw new NotAmiError(`not an Asterisk manager: the banner is '${line.slice(0, 60)}'`);
      this.banner = line;
      return null;
    }
    if (line === '') return this.endBlock();
    this.blockBytes += line.length + 2;
    if (this.blockBytes > this.maxBytes) return this.spoil('oversized-message'), null;
    const colon = line.indexOf(':');
    if (colon <= 0) return this.spoil('malformed-line'), null;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (Object.hasOwn(this.block, key)) {
      // Asterisk does not escape AccountID or SessionID: a repeated RemoteAddress may be forged, and
      // we cannot tell which copy is genuine, so the whole message is refused.
      if (!REPEATABLE_KEYS.has(key)) this.spoil('duplicate-key');
      return null;
    }
    this.block[key] = value;
    return null;
  }

  private endBlock(): AmiMessage | null {
    const msg = this.bad === null && this.blockBytes > 0 ? this.block : null;
    if (this.bad !== null) this.onSkip(this.bad);
    this.block = Object.create(null);
    this.blockBytes = 0;
    this.bad = null;
    return msg;
  }

  /** Marks the current message as refused; counted once when it ends. */
  private spoil(reason: string): void {
    this.bad ??= reason;
    this.block = Object.create(null);
  }
}

/** An action as AMI text. Values must not contain CR or LF (checked by the caller's config). */
export function formatAction(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
}
