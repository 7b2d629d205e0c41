-- Dashboard sessions: the cookie holds a random 256-bit token, this table only its SHA-256 (a
-- database leak hands out no session). Expiry is checked on every request against both
-- timestamps (idle and absolute), so a stolen old cookie dies even if it is kept busy.
CREATE TABLE lp_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES lp_users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX lp_sessions_by_age ON lp_sessions (created_at);

-- Hosts the admin allowed on the settings page: read at scan time by every process (serve and
-- `leakprobe worker`), on top of each process's own --allow-host and loopback.
CREATE TABLE lp_allow_hosts (
    host TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
