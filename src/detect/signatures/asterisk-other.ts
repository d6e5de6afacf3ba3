// The non-SIP Asterisk lines fail2ban's filter knows: chan_iax2 and manager.c (AMI login) failures,
// and FreePBX's dialplan warning for unknown SIP sources. The address is either the first word of
// the message (right after the Asterisk-written prefix, before any attacker text) or anchored at the
// end of the line after the attacker's text.
import type { RawEvent } from '../../core/types.ts';
import { IP_TEXT, LOG_LINES, accountOf, asteriskStats, lineOffense, type AsteriskSignatureStats, type LogSignature } from './asterisk-common.ts';
import { asteriskLineOf, textAt, type AsteriskLine } from './asterisk-line.ts';

function alertLine(ev: RawEvent, fileHas: string): AsteriskLine | null {
  const line = asteriskLineOf(ev);
  if (!line) return null;
  return fileHas === '' ? (line.file === '' ? line : null) : line.file.includes(fileHas) ? line : null;
}

const IAX_HOST = new RegExp(String.raw`^Host ${IP_TEXT} failed (to authenticate as|MD5 authentication for) '(.*?)'(?: \(.*\))?$`);
const IAX_NOREG = new RegExp(String.raw`^No registration for peer '(.*)' \(from ${IP_TEXT}\)$`);

export function asteriskIax2(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-iax2';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['Host ', 'No registration for peer '],
    match(ev) {
      const line = alertLine(ev, 'iax');
      if (!line) return null;
      const host = IAX_HOST.exec(line.message);
      if (host) {
        const how = host[2] === 'to authenticate as' ? 'failed to authenticate' : 'failed MD5 authentication';
        return lineOffense(id, ev, line, {
          ip: host[1], kind: 'auth-failure', account: accountOf(host[3]), detail: `IAX2 ${how}`,
        }, stats);
      }
      const noreg = IAX_NOREG.exec(line.message);
      if (!noreg) return null;
      return lineOffense(id, ev, line, {
        ip: noreg[2], kind: 'auth-failure', account: accountOf(noreg[1]), detail: 'IAX2 no registration for peer',
      }, stats);
    },
  };
}

const MANAGER = new RegExp(String.raw`^${IP_TEXT} (tried to authenticate with nonexistent user|failed to authenticate as) '(.*)'$`);

/** AMI logins (port 5038) refused, as manager.c logs them. */
export function asteriskManager(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-manager';
  return {
    id,
    eventTypes: LOG_LINES,
    match(ev) {
      const line = alertLine(ev, 'manager');
      const m = line && MANAGER.exec(line.message);
      if (!line || !m) return null;
      const what = m[2].startsWith('tried') ? 'nonexistent user' : 'wrong secret';
      return lineOffense(id, ev, line, {
        ip: m[1], kind: 'auth-failure', account: accountOf(m[3]), detail: `AMI login failed: ${what}`,
      }, stats);
    },
  };
}

const FREEPBX = new RegExp(String.raw`"Rejecting unknown SIP connection from ${IP_TEXT}(?::\d+)?"$`);

/** FreePBX's from-sip-external context: Log(WARNING, "Rejecting unknown SIP connection from ${CHANNEL(recvip)}"). */
export function asteriskFreepbxUnknown(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-freepbx-unknown';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['Ext. '],
    match(ev) {
      const line = alertLine(ev, '');
      if (!line || !textAt(line.message, 0, 'Ext. ')) return null;
      const m = FREEPBX.exec(line.message);
      if (!m) return null;
      return lineOffense(id, ev, line, { ip: m[1], kind: 'acl', detail: 'FreePBX rejected unknown SIP connection' }, stats);
    },
  };
}
