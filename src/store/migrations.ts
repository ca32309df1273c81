// Append-only: never edit a shipped migration, add a new one. Index + 1 is the schema version.
// No column anywhere holds a token.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    name_is_custom INTEGER NOT NULL DEFAULT 0,
    config_dir TEXT NOT NULL UNIQUE,
    email TEXT,
    org_name TEXT,
    account_uuid TEXT,
    created_at_ms INTEGER NOT NULL
  );
  CREATE TABLE usage_samples (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    taken_at_ms INTEGER NOT NULL,
    -- ok | rate_limited | unauthorized | error
    status TEXT NOT NULL,
    util5_pct REAL,
    reset5_at_ms INTEGER,
    util7_pct REAL,
    reset7_at_ms INTEGER,
    scoped7_pct REAL,
    scoped7_reset_at_ms INTEGER,
    scoped7_model TEXT,
    extra_usage_enabled INTEGER,
    error TEXT
  );
  CREATE INDEX usage_samples_by_account ON usage_samples(account_id, taken_at_ms);
  -- A session is a launch: a live 'run' shim, a 'select' reservation (no process yet), or an
  -- 'external' claude found by scanning processes.
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    pid INTEGER,
    cwd TEXT,
    started_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    ended_at_ms INTEGER,
    exit_code INTEGER
  );
  CREATE INDEX sessions_open ON sessions(account_id) WHERE ended_at_ms IS NULL;
  CREATE TABLE pins (
    cwd TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    updated_at_ms INTEGER NOT NULL,
    manual INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE refresh_log (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at_ms INTEGER NOT NULL,
    -- refreshed | skipped | invalid_grant | transient
    outcome TEXT NOT NULL,
    detail TEXT
  );
  CREATE TABLE auth_health (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    consecutive_auth_failures INTEGER NOT NULL DEFAULT 0,
    needs_login INTEGER NOT NULL DEFAULT 0,
    refresh_failed INTEGER NOT NULL DEFAULT 0,
    backoff_step INTEGER NOT NULL DEFAULT 0,
    next_poll_at_ms INTEGER,
    last_error TEXT,
    updated_at_ms INTEGER NOT NULL
  );
  `,
  // One row per account with its newest sample, its newest good values and the 5h burn rate as of
  // that sample, kept up to date by insertSample: the hot path reads this instead of scanning
  // weeks of samples.
  `
  CREATE TABLE account_usage (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    newest_at_ms INTEGER NOT NULL,
    newest_status TEXT NOT NULL,
    newest_error TEXT,
    good_at_ms INTEGER,
    util5_pct REAL,
    reset5_at_ms INTEGER,
    util7_pct REAL,
    reset7_at_ms INTEGER,
    scoped7_pct REAL,
    scoped7_reset_at_ms INTEGER,
    scoped7_model TEXT,
    extra_usage_enabled INTEGER,
    burn5_pct_per_hour REAL
  );
  CREATE INDEX usage_samples_by_time ON usage_samples(taken_at_ms);
  INSERT INTO account_usage (account_id, newest_at_ms, newest_status, newest_error)
    SELECT s.account_id, s.taken_at_ms, s.status, s.error FROM usage_samples s
    WHERE s.id = (SELECT n.id FROM usage_samples n WHERE n.account_id = s.account_id
                  ORDER BY n.taken_at_ms DESC, n.id DESC LIMIT 1);
  UPDATE account_usage SET (good_at_ms, util5_pct, reset5_at_ms, util7_pct, reset7_at_ms, scoped7_pct,
      scoped7_reset_at_ms, scoped7_model, extra_usage_enabled) =
    (SELECT g.taken_at_ms, g.util5_pct, g.reset5_at_ms, g.util7_pct, g.reset7_at_ms, g.scoped7_pct,
            g.scoped7_reset_at_ms, g.scoped7_model, g.extra_usage_enabled
     FROM usage_samples g WHERE g.account_id = account_usage.account_id AND g.status = 'ok'
     ORDER BY g.taken_at_ms DESC, g.id DESC LIMIT 1);
  `,
  // Every per-model weekly bucket of a sample (seven_day_opus, seven_day_sonnet, weekly_scoped
  // limits …), as a JSON array of {pct, resetAtMs, model}: the score folds them all, since the one
  // that binds can change when another resets. The scoped7_* columns keep the fullest one.
  `
  ALTER TABLE usage_samples ADD COLUMN scoped7_buckets TEXT;
  ALTER TABLE account_usage ADD COLUMN scoped7_buckets TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
