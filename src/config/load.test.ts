import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '../core/errors.ts';
import { loadConfig, loadConfigText } from './load.ts';

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AppError, `expected an AppError, got ${e}`);
    return e;
  }
  assert.fail('expected the config to be refused');
}

test('defaults fill every key', () => {
  const c = loadConfigText('a.yaml', '');
  assert.deepEqual(c.sip.ports, [{ from: 5060, to: 5261 }]);
  assert.equal(c.firewall.backend, 'iptables');
  assert.equal(c.ban.time, 3600);
  assert.equal(c.ranges.ponytelecom, true);
  assert.equal(c.detect.brute_force.max_retry, 5);
  assert.equal(c.detect.brute_force.find_time, 600);
});

test('durations and port ranges are parsed', () => {
  const c = loadConfigText('a.yaml', 'ban:\n  time: 7d\nsip:\n  ports: [5060, "5080:5090"]\n  scanner_ban_time: 90s\n');
  assert.equal(c.ban.time, 7 * 86400);
  assert.equal(c.sip.scanner_ban_time, 90);
  assert.deepEqual(c.sip.ports, [{ from: 5060, to: 5060 }, { from: 5080, to: 5090 }]);
});

test('an unknown key is refused with file, line, column and path', () => {
  const e = refusal(() => loadConfigText('/etc/x.yaml', 'sip:\n  ports: 5060\n  registr_domains: [a.b]\n'));
  assert.equal(e.code, 'ERR_CONFIG_INVALID');
  assert.match(e.message, /^\/etc\/x\.yaml:3:3: sip\.registr_domains: unknown key 'registr_domains'/);
});

test('a bad value names the allowed values', () => {
  const e = refusal(() => loadConfigText('x.yaml', 'firewall:\n  backend: pf\n'));
  assert.match(e.message, /x\.yaml:2:12: firewall\.backend: must be one of "iptables", "nftables", "none"/);
});

test('a malformed CIDR, duration or port is refused at its line', () => {
  assert.match(refusal(() => loadConfigText('x.yaml', 'allow:\n  - 10.0.0.0/33\n')).message, /x\.yaml:2:5: allow\.0: expected an IP address, a CIDR prefix or a DNS name/);
  assert.match(refusal(() => loadConfigText('x.yaml', 'ban:\n  time: 10 minutes\n')).message, /x\.yaml:2:9: ban\.time: '10 minutes' is not a duration/);
  assert.match(refusal(() => loadConfigText('x.yaml', 'sip:\n  ports: "70000"\n')).message, /sip\.ports/);
});

test('detect.hep.listen takes host:port, or a bare port that means loopback', () => {
  assert.equal(loadConfigText('a.yaml', 'detect:\n  hep:\n    listen: 9060\n').detect.hep.listen, '127.0.0.1:9060');
  assert.equal(loadConfigText('a.yaml', 'detect:\n  hep:\n    listen: "[::1]:9060"\n').detect.hep.listen, '[::1]:9060');
  assert.match(refusal(() => loadConfigText('x.yaml', 'detect:\n  hep:\n    listen: 70000\n')).message, /x\.yaml:3:13: detect\.hep\.listen: expected host:port like 127\.0\.0\.1:9060, or a port number/);
});

test('YAML syntax errors carry the position', () => {
  const e = refusal(() => loadConfigText('x.yaml', 'sip:\n  ports: [5060\n'));
  assert.equal(e.code, 'ERR_CONFIG_SYNTAX');
  assert.match(e.message, /^x\.yaml:\d+:\d+: /);
});

test('FILE.local is merged over FILE, and errors in it name the .local file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-cfg-'));
  const file = join(dir, 'sipwarden.yaml');
  writeFileSync(file, 'sip:\n  register_domains: [a.example.com]\nban:\n  time: 1h\n');
  writeFileSync(`${file}.local`, 'ban:\n  time: 2h\n');
  const { config, files } = loadConfig(file);
  assert.deepEqual(files, [file, `${file}.local`]);
  assert.equal(config.ban.time, 7200);
  assert.deepEqual(config.sip.register_domains, ['a.example.com']);
  writeFileSync(`${file}.local`, 'ban:\n  tme: 2h\n');
  assert.match(refusal(() => loadConfig(file)).message, new RegExp(`${file}\\.local:2:3: ban\\.tme: unknown key`));
});

test('${VAR} expands, and an unset variable is an error', () => {
  process.env.SW_TEST_KEY = 'k123';
  const c = loadConfigText('x.yaml', 'feeds:\n  apiban:\n    key: ${SW_TEST_KEY}\n');
  assert.equal(c.feeds.apiban?.key, 'k123');
  const e = refusal(() => loadConfigText('x.yaml', 'feeds:\n  apiban:\n    key: ${SW_UNSET_VARIABLE}\n'));
  assert.equal(e.code, 'ERR_CONFIG_ENV');
  assert.match(e.message, /feeds\.apiban\.key: environment variable SW_UNSET_VARIABLE is not set/);
});

test('an explicit config file that does not exist is an error', () => {
  assert.equal(refusal(() => loadConfig('/nonexistent/sipwarden.yaml')).code, 'ERR_CONFIG_READ');
});
