-- The security epoch: one counter that grows, in the transaction of the
-- change, with every change that can end a token's validity or make a
-- server's cached copy of a row stale — a session revoked; a user disabled,
-- deleted or given a new password; an application, access key or custom
-- field definition written or removed. Servers keep such rows in memory and
-- trust them only while the counter reads what it read when they loaded
-- them (package cache), so a change committed by one replica is seen by the
-- very next request to any other. Triggers do the counting, so that no
-- write path, however it reaches the database, can forget it. Profile
-- changes and refresh-token rotation do not count: nothing cached depends
-- on them.

-- +goose Up
CREATE TABLE security_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO security_epoch (id, value) VALUES (1, 0);

-- Sessions change only by revocation and refresh-token rotation; UPDATE OF
-- fires when a statement sets a listed column, so rotation does not count.
-- Sessions are deleted only once expired (PurgeExpired), when no token of
-- theirs verifies any more.
-- +goose StatementBegin
CREATE TRIGGER sessions_epoch AFTER UPDATE OF instance_id, kind, user_id, application_id, scopes, created_at, expires_at, revoked_at ON sessions
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_epoch AFTER UPDATE ON users
WHEN NEW.status <> OLD.status OR NEW.password_changed_at <> OLD.password_changed_at
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_deleted_epoch AFTER DELETE ON users
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER applications_inserted_epoch AFTER INSERT ON applications
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER applications_updated_epoch AFTER UPDATE ON applications
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER applications_deleted_epoch AFTER DELETE ON applications
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER access_keys_inserted_epoch AFTER INSERT ON access_keys
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER access_keys_updated_epoch AFTER UPDATE ON access_keys
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER access_keys_deleted_epoch AFTER DELETE ON access_keys
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER field_definitions_inserted_epoch AFTER INSERT ON field_definitions
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER field_definitions_updated_epoch AFTER UPDATE ON field_definitions
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER field_definitions_deleted_epoch AFTER DELETE ON field_definitions
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER field_definitions_deleted_epoch;
DROP TRIGGER field_definitions_updated_epoch;
DROP TRIGGER field_definitions_inserted_epoch;
DROP TRIGGER access_keys_deleted_epoch;
DROP TRIGGER access_keys_updated_epoch;
DROP TRIGGER access_keys_inserted_epoch;
DROP TRIGGER applications_deleted_epoch;
DROP TRIGGER applications_updated_epoch;
DROP TRIGGER applications_inserted_epoch;
DROP TRIGGER users_deleted_epoch;
DROP TRIGGER users_epoch;
DROP TRIGGER sessions_epoch;
DROP TABLE security_epoch;
