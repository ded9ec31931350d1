-- user_claims and user_ous become WITHOUT ROWID tables: each row is stored
-- once, in its primary key's b-tree, instead of in a rowid table plus the
-- index that enforces the key. Every user holds several claims, so this
-- saves a b-tree insert per claim and about a tenth of the database at a
-- million users; imports of many users are a third faster (see
-- docs/benchmarks.md, "A million users"). Same columns, keys and indexes.

-- +goose Up
CREATE TABLE user_claims_new (
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, kind, value),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
) WITHOUT ROWID;
INSERT INTO user_claims_new (instance_id, kind, value, user_id)
    SELECT instance_id, kind, value, user_id FROM user_claims;
DROP TABLE user_claims;
ALTER TABLE user_claims_new RENAME TO user_claims;
CREATE INDEX user_claims_by_user ON user_claims (instance_id, user_id);

CREATE TABLE user_ous_new (
    instance_id TEXT NOT NULL,
    ou_id       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, ou_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
) WITHOUT ROWID;
INSERT INTO user_ous_new (instance_id, ou_id, user_id)
    SELECT instance_id, ou_id, user_id FROM user_ous;
DROP TABLE user_ous;
ALTER TABLE user_ous_new RENAME TO user_ous;
CREATE INDEX user_ous_by_user ON user_ous (instance_id, user_id);

-- +goose Down
CREATE TABLE user_claims_old (
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, kind, value),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
);
INSERT INTO user_claims_old (instance_id, kind, value, user_id)
    SELECT instance_id, kind, value, user_id FROM user_claims;
DROP TABLE user_claims;
ALTER TABLE user_claims_old RENAME TO user_claims;
CREATE INDEX user_claims_by_user ON user_claims (instance_id, user_id);

CREATE TABLE user_ous_old (
    instance_id TEXT NOT NULL,
    ou_id       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (instance_id, ou_id, user_id),
    FOREIGN KEY (instance_id, user_id) REFERENCES users (instance_id, id)
);
INSERT INTO user_ous_old (instance_id, ou_id, user_id)
    SELECT instance_id, ou_id, user_id FROM user_ous;
DROP TABLE user_ous;
ALTER TABLE user_ous_old RENAME TO user_ous;
CREATE INDEX user_ous_by_user ON user_ous (instance_id, user_id);
