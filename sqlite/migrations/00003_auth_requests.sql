-- OpenID Connect authorization requests, from /authorize until their code
-- is redeemed; in the database so that every replica can serve every step.

-- +goose Up
CREATE TABLE auth_requests (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances (id),
    client_id   TEXT NOT NULL,
    request     TEXT NOT NULL, -- JSON: the parameters the relying party sent
    user_id     TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    auth_time   INTEGER NOT NULL,
    code_hash   TEXT, -- NULL until a code is issued
    redeemed    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX auth_requests_by_code ON auth_requests (code_hash);
CREATE INDEX auth_requests_by_expiry ON auth_requests (expires_at);

-- +goose Down
DROP TABLE auth_requests;
