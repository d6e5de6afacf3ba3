// Writes a synthetic Asterisk log like reference/perf-anchors.md §3 (gen_asterisk_log.py): default
// `[Nov 27 03:20:01] LEVEL[tid] file.c: ...` lines, a share of attack lines (res_security_log
// InvalidAccountID / ChallengeResponseFailed / InvalidPassword, chan_sip "Wrong password", PJSIP
// "No matching endpoint found") from 203.0.113.0/24, 198.51.100.0/24 and 192.0.2.0/24, the rest benign
// (VERBOSE dialplan, SuccessfulAuth/ChallengeSent events from phones in 10.0.0.0/20, each address
// with its own account, "is now Reachable", retransmission warnings). Deterministic for a given seed.
import { createWriteStream } from 'node:fs';

/** xorshift32: a fixed sequence per seed, so every run writes the same file. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const ATTACK_NETS = ['203.0.113', '198.51.100', '192.0.2'];

export interface GenResult {
  lines: number;
  attackLines: number;
  byKind: Record<string, number>;
}

export async function writeAsteriskLog(path: string, lines: number, attackShare = 0.1, seed = 1): Promise<GenResult> {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const out = createWriteStream(path);
  const byKind: Record<string, number> = {};
  let attackLines = 0;
  let batch: string[] = [];
  const hex = () => int(0xffffffff).toString(16).padStart(8, '0');
  for (let i = 0; i < lines; i++) {
    const sec = Math.floor(i / 2000);
    const stamp = `[Nov 27 ${String(3 + Math.floor(sec / 3600)).padStart(2, '0')}:${String(Math.floor(sec / 60) % 60).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}]`;
    const tid = 1000 + int(9000);
    let line: string;
    if (r() < attackShare) {
      attackLines++;
      const ip = `${ATTACK_NETS[int(3)]}.${1 + int(254)}`;
      const port = 1024 + int(60000);
      const user = String(100 + int(9900));
      const pick = r();
      const sec2 = (kind: string, event: string, extra: string) => {
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        return `${stamp} SECURITY[${tid}] res_security_log.c: SecurityEvent="${event}",EventTV="2026-11-27T03:20:02.712+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${user}",SessionID="${hex()}${hex()}",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/${ip}/${port}"${extra}`;
      };
      if (pick < 0.35) line = sec2('InvalidAccountID', 'InvalidAccountID', '');
      else if (pick < 0.65) line = sec2('ChallengeResponseFailed', 'ChallengeResponseFailed', `,Challenge="1732683101/${hex()}",Response="${hex()}${hex()}",ExpectedResponse=""`);
      else if (pick < 0.75) line = sec2('InvalidPassword', 'InvalidPassword', `,Challenge="${hex()}",ReceivedChallenge="${hex()}",ReceivedHash="${hex()}${hex()}"`);
      else if (pick < 0.92) {
        byKind['chan_sip Wrong password'] = (byKind['chan_sip Wrong password'] ?? 0) + 1;
        line = `${stamp} NOTICE[${tid}] chan_sip.c: Registration from '"${user}" <sip:${user}@10.0.0.1>' failed for '${ip}:${port}' - Wrong password`;
      } else {
        byKind['pjsip No matching endpoint'] = (byKind['pjsip No matching endpoint'] ?? 0) + 1;
        line = `${stamp} NOTICE[${tid}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"${user}" <sip:${user}@10.0.0.1>' failed for '${ip}:${port}' (callid: ${hex()}${hex()}) - No matching endpoint found`;
      }
    } else {
      line = benign(stamp, tid, int, hex);
    }
    batch.push(line);
    if (batch.length === 10_000) {
      if (!out.write(batch.join('\n') + '\n')) await new Promise<void>((res) => out.once('drain', () => res()));
      batch = [];
    }
  }
  if (batch.length) out.write(batch.join('\n') + '\n');
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return { lines, attackLines, byKind };
}

function benign(stamp: string, tid: number, int: (n: number) => number, hex: () => string): string {
  const net = int(16);
  const host = 1 + int(254);
  const phone = `10.0.${net}.${host}`;
  // A phone registers its own account from its own address, as phones do.
  const user = String(1000 + net * 254 + host);
  const pick = int(10);
  if (pick < 5) {
    return `${stamp} VERBOSE[${tid}][C-0000${hex().slice(0, 4)}] pbx.c:     -- Executing [${user}@from-internal:1] Dial("PJSIP/${user}-0000${hex().slice(0, 4)}", "PJSIP/${1000 + int(100)},30,tT") in new stack`;
  }
  if (pick < 7) {
    const [event, extra] = int(2) === 0 ? ['SuccessfulAuth', ',UsingPassword="1"'] : ['ChallengeSent', `,Challenge="1732683101/${hex()}"`];
    return `${stamp} SECURITY[${tid}] res_security_log.c: SecurityEvent="${event}",EventTV="2026-11-27T03:20:02.712+0000",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${user}",SessionID="0x7f44${hex()}",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/${phone}/${5060 + int(1000)}"${extra}`;
  }
  if (pick < 9) return `${stamp} NOTICE[${tid}] res_pjsip/pjsip_options.c: Endpoint ${user} is now Reachable`;
  return `${stamp} WARNING[${tid}] chan_sip.c: Retransmission timeout reached on transmission ${hex()}@${phone} for seqno 102 (Critical Request) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions`;
}
