-- One schema for SQLite and PostgreSQL: text ids made in Rust, TEXT timestamps (RFC 3339, UTC,
-- milliseconds, so they sort as text), BIGINT numbers, JSON as TEXT. The job queue's own tables
-- come from apalis-sqlite / apalis-postgres and share this database.
CREATE TABLE lp_users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE lp_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE lp_targets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    spec TEXT,
    -- Names and kinds only ([{"name": "alice", "kind": "bearer"}]); the specs themselves are in
    -- identities_sealed, encrypted with LEAKPROBE_SECRET_KEY.
    identities TEXT NOT NULL,
    identities_sealed TEXT,
    settings TEXT NOT NULL,
    schedule TEXT,
    suppressions TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE lp_scans (
    id TEXT PRIMARY KEY,
    -- Kept when the target is deleted: history outlives the target's settings.
    target_id TEXT,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    phase TEXT,
    requests BIGINT NOT NULL DEFAULT 0,
    budget BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    score BIGINT,
    grade TEXT,
    findings BIGINT,
    error TEXT,
    report TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX lp_scans_by_target ON lp_scans (target_id, created_at);
CREATE INDEX lp_scans_by_time ON lp_scans (created_at);

CREATE TABLE lp_findings (
    scan_id TEXT NOT NULL REFERENCES lp_scans (id) ON DELETE CASCADE,
    finding_id TEXT NOT NULL,
    check_id TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    method TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    suppressed BIGINT NOT NULL,
    PRIMARY KEY (scan_id, finding_id)
);
CREATE INDEX lp_findings_by_id ON lp_findings (finding_id);
CREATE INDEX lp_findings_by_severity ON lp_findings (severity, category);
