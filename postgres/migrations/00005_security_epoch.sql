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
--
-- The triggers are deferred to commit: the counter's row is locked from
-- the increment to the end of the transaction, and taking that lock last,
-- when the transaction holds every other lock it will need, means no two
-- transactions can ever wait for each other through it.

-- +goose Up
CREATE TABLE security_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO security_epoch (id, value) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_security_epoch() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE security_epoch SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Sessions change only by revocation and refresh-token rotation; UPDATE OF
-- fires when a statement sets a listed column, so rotation does not count.
-- Sessions are deleted only once expired (PurgeExpired), when no token of
-- theirs verifies any more.
CREATE CONSTRAINT TRIGGER sessions_epoch
    AFTER UPDATE OF instance_id, kind, user_id, application_id, scopes, created_at, expires_at, revoked_at ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_epoch();

CREATE CONSTRAINT TRIGGER users_epoch AFTER UPDATE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status <> OLD.status OR NEW.password_changed_at <> OLD.password_changed_at)
    EXECUTE FUNCTION bump_security_epoch();

CREATE CONSTRAINT TRIGGER users_deleted_epoch AFTER DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_epoch();

CREATE CONSTRAINT TRIGGER applications_epoch AFTER INSERT OR UPDATE OR DELETE ON applications
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_epoch();

CREATE CONSTRAINT TRIGGER access_keys_epoch AFTER INSERT OR UPDATE OR DELETE ON access_keys
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_epoch();

CREATE CONSTRAINT TRIGGER field_definitions_epoch AFTER INSERT OR UPDATE OR DELETE ON field_definitions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_epoch();

-- +goose Down
DROP TRIGGER field_definitions_epoch ON field_definitions;
DROP TRIGGER access_keys_epoch ON access_keys;
DROP TRIGGER applications_epoch ON applications;
DROP TRIGGER users_deleted_epoch ON users;
DROP TRIGGER users_epoch ON users;
DROP TRIGGER sessions_epoch ON sessions;
DROP FUNCTION bump_security_epoch();
DROP TABLE security_epoch;
