// Numbered migrations, applied in order inside one transaction each; the applied number is kept in
// PRAGMA user_version. Never edit a shipped migration: add the next number.
export const MIGRATIONS: readonly string[] = [
  // 1: bans, friends, events
  `
  CREATE TABLE bans (
    target   TEXT PRIMARY KEY,          -- canonical IP or CIDR
    family   INTEGER NOT NULL,          -- 4 or 6
    origin   TEXT NOT NULL,             -- rule:<id>, feed:<id>, signature:<id>, cli, api, fleet
    reason   TEXT NOT NULL,
    created  INTEGER NOT NULL,          -- unix ms
    expires  INTEGER,                   -- unix ms; NULL = until unbanned
    hits     INTEGER NOT NULL DEFAULT 1 -- how many times this target was (re)banned
  );
  CREATE INDEX bans_expires ON bans(expires);
  CREATE INDEX bans_origin ON bans(origin);
  CREATE TABLE friends (
    target   TEXT PRIMARY KEY,
    origin   TEXT NOT NULL,             -- config, learned, cli
    reason   TEXT NOT NULL,
    created  INTEGER NOT NULL,
    expires  INTEGER
  );
  CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    ip       TEXT NOT NULL,
    kind     TEXT NOT NULL,             -- offense kind or decision
    origin   TEXT NOT NULL,
    detail   TEXT NOT NULL
  );
  CREATE INDEX events_ip ON events(ip, at);
  `,
  // 2: ban history for escalation, feed state, key/value state of the kernel objects we created
  `
  CREATE TABLE offenders (
    ip       TEXT PRIMARY KEY,
    bans     INTEGER NOT NULL,          -- bans issued by rules so far
    last     INTEGER NOT NULL
  );
  CREATE TABLE feed_state (
    feed       TEXT PRIMARY KEY,
    last_id    TEXT,                    -- APIBAN: last ID applied
    last_sync  INTEGER,
    last_ok    INTEGER,
    last_error TEXT,
    entries    INTEGER NOT NULL DEFAULT 0,
    etag       TEXT,
    modified   TEXT,
    next_run   INTEGER,
    held       TEXT                     -- JSON of a held sync awaiting acceptance
  );
  CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];
