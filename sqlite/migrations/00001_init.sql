-- The directory schema. Times are INTEGER nanoseconds since the Unix epoch
-- (UTC, 0 for "never"); lists and maps are JSON text. Every row of a tenant
-- carries its instance_id. See package sqlstore for what each table is for.

-- +goose Up
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    root_ou_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE org_units (
    instance_id TEXT NOT NULL REFERENCES instances (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   TEXT, -- NULL only for the root
    PRIMARY KEY (instance_id, id),
    FOREIGN KEY (instance_id, parent_id) REFERENCES org_units (instance_id, id)
);

CREATE TABLE applications (
    instance_id   TEXT NOT NULL REFERENCES instances (id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    client_id     TEXT NOT NULL UNIQUE,
    secret_hash   TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE access_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL, -- sealed with the master key
    actions    TEXT NOT NULL,
    instances  TEXT NOT NULL,
    disabled   BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE field_definitions (
    instance_id     TEXT NOT NULL REFERENCES instances (id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    display_type    TEXT NOT NULL,
    items           TEXT NOT NULL,
    default_value   TEXT NOT NULL,
    description     TEXT NOT NULL,
    is_required     BOOLEAN NOT NULL,
    is_unique       BOOLEAN NOT NULL,
    encrypted       BOOLEAN NOT NULL,
    user_permission TEXT NOT NULL,
    max_length      INTEGER NOT NULL,
    disabled        BOOLEAN NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (instance_id, id),
    UNIQUE (instance_id, name)
);

CREATE TABLE users (
    instance_id         TEXT NOT NULL REFERENCES instances (id),
    id                  TEXT NOT NULL,
    version             INTEGER NOT NULL,
    status              TEXT NOT NULL,
    username            TEXT NOT NULL,
    username_norm       TEXT NOT NULL,
    display_name_norm   TEXT NOT NULL,
    attrs               TEXT NOT NULL,
    email_verified      BOOLEAN NOT NULL,
    phone_verified      BOOLEAN NOT NULL,
    custom_fields       TEXT NOT NULL,
    sealed              TEXT NOT NULL, -- '' when the user has no sensitive value
    password_hash       TEXT NOT NULL,
    password_changed_at INTEGER NOT NULL,
    primary_ou_id       TEXT NOT NULL,
    ou_ids              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (instance_id, id)
);
CREATE INDEX users_by_username ON users (instance_id, username_norm, id);
CREATE INDEX users_by_display_name ON users (instance_id, display_name_norm, id);

-- The one place uniqueness is enforced: username, email, phone, external id
-- and unique custom fields ('cf:' || name).
CREATE TABLE user_claims (
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, kind, value),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
);
CREATE INDEX user_claims_by_user ON user_claims (instance_id, user_id);

-- Every unit a user belongs to (the primary one included), for listing the
-- users of a unit; users.ou_ids keeps the order for reading.
CREATE TABLE user_ous (
    instance_id TEXT NOT NULL,
    ou_id       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, ou_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
);
CREATE INDEX user_ous_by_user ON user_ous (instance_id, user_id);

CREATE TABLE audit_log (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    instance_id          TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    action               TEXT NOT NULL,
    actor_kind           TEXT NOT NULL,
    actor_id             TEXT NOT NULL,
    actor_application_id TEXT NOT NULL,
    dialect              TEXT NOT NULL,
    request_id           TEXT NOT NULL,
    client_ip            TEXT NOT NULL,
    device               TEXT NOT NULL,
    changes              TEXT NOT NULL,
    version              INTEGER NOT NULL,
    at                   INTEGER NOT NULL
);
CREATE INDEX audit_log_by_user ON audit_log (instance_id, user_id, seq);

CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    type        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    attributes  TEXT NOT NULL,
    at          INTEGER NOT NULL
);

-- +goose Down
DROP TABLE outbox;
DROP TABLE audit_log;
DROP TABLE user_ous;
DROP TABLE user_claims;
DROP TABLE users;
DROP TABLE field_definitions;
DROP TABLE access_keys;
DROP TABLE applications;
DROP TABLE org_units;
DROP TABLE instances;
