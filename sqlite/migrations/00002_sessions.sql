-- Sign-in state: sessions every token points at, the signing key ring,
-- request nonces for replay protection and sign-in failures for lockout.
-- All shared by every replica through the database.

-- +goose Up
CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    instance_id       TEXT NOT NULL REFERENCES instances (id),
    kind              TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    application_id    TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    dialect           TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    revoked_at        INTEGER NOT NULL,
    refresh_hash      TEXT NOT NULL,
    prev_refresh_hash TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (instance_id, user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE signing_keys (
    id         TEXT PRIMARY KEY,
    algorithm  TEXT NOT NULL,
    private    TEXT NOT NULL, -- PEM sealed with the master key
    created_at INTEGER NOT NULL,
    active_at  INTEGER NOT NULL,
    retire_at  INTEGER NOT NULL
);

CREATE TABLE nonces (
    scope      TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at);

CREATE TABLE login_failures (
    instance_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE nonces;
DROP TABLE signing_keys;
DROP TABLE sessions;
