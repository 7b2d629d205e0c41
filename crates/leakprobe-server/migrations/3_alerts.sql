-- Alerts and schedules (portable: SQLite and PostgreSQL).
-- A target's alert rules (JSON list of leakprobe_alerts::Rule), its channels as shown (kind and a
-- non-secret label per channel) and the channels whole, sealed with LEAKPROBE_SECRET_KEY (a Slack
-- URL, a webhook's URL and HMAC key, an SMTP password are credentials).
ALTER TABLE lp_targets ADD COLUMN alert_rules TEXT NOT NULL DEFAULT '[]';
ALTER TABLE lp_targets ADD COLUMN alert_channels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE lp_targets ADD COLUMN alert_channels_sealed TEXT;

-- One row per alert event ever claimed: the primary key is what makes an event alert once, even
-- with several workers evaluating the same scan. `state` is `sending` from the claim until the
-- delivery ends (`sent`); a `sending` claim older than the lease belongs to a process that died
-- mid-delivery and may be taken over.
CREATE TABLE lp_alert_events (
    event_key TEXT PRIMARY KEY,
    target_id TEXT NOT NULL,
    scan_id TEXT NOT NULL,
    state TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at TEXT NOT NULL
);

-- What became of each delivery (one per channel per notice), test messages included.
CREATE TABLE lp_alert_deliveries (
    id TEXT PRIMARY KEY,
    target_id TEXT NOT NULL,
    scan_id TEXT,
    channel TEXT NOT NULL,
    destination TEXT NOT NULL,
    ok BIGINT NOT NULL,
    status BIGINT,
    attempts BIGINT NOT NULL,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    -- JSON list of the event keys delivered ([] for a test message).
    events TEXT NOT NULL,
    test BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX lp_alert_deliveries_by_target ON lp_alert_deliveries (target_id, created_at);

-- One row per (target, due time) the scheduler acted on: the primary key is what keeps two
-- `serve` processes from queueing the same run twice. `scan_id` is the scan queued, or NULL with
-- `skipped` saying why none was.
CREATE TABLE lp_schedule_runs (
    target_id TEXT NOT NULL,
    due_at TEXT NOT NULL,
    scan_id TEXT,
    skipped TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (target_id, due_at)
);
