// Package sqlstore implements eiam.Store over database/sql, once for every
// SQL database eiam runs on. Packages sqlite and postgres open a database,
// describe it with a Dialect (placeholder style, row locking, how to
// recognise a unique violation or a retryable failure, its migrations) and
// hand it to New; every query lives here.
//
// # Data model
//
// instances, org_units, applications, access_keys, field_definitions,
// users, user_claims, user_ous, audit_log and outbox. Every row of a tenant
// carries its instance_id, and every query of tenant data names it, so
// nothing of one instance is visible through another. Times are BIGINT
// nanoseconds since the Unix epoch in both dialects (0 for the zero time):
// what a caller passes is what it reads back, in UTC. Lists and maps are
// JSON text.
//
// A user is one row of users: version, status, attrs (the Attrs map without
// sensitive attributes), the flags, custom_fields (without encrypted
// fields), password hash, units, times, and sealed: the JSON of the
// sensitive values (identity_number, and the custom fields named in
// Commit.SealedFields) encrypted with the master key for the purpose
// "user:"+instanceID+":"+userID, so a sealed value cannot be moved to
// another user's row and opened there. Reads decrypt and merge, so callers
// always see plaintext. username, username_norm and display_name_norm are
// derived from attrs for operators and for the indexes
// (instance_id, username_norm, id) and (instance_id, display_name_norm, id)
// that keyset paging and prefix search use.
//
// user_claims (instance_id, kind, value) → user_id is the one place
// uniqueness is enforced: usernames, emails, phones, external ids and unique
// custom fields ("cf:NAME"), in the normalized form the caller gives.
// Claims are inserted with ON CONFLICT DO NOTHING, one statement each in a
// fixed order, so the database's unique key picks the one winner among
// concurrent claimants (across server replicas too), the loser learns
// exactly which claim it lost without aborting its transaction, and the
// loss becomes eiam.ErrConflict on eiam.ClaimField(kind). Nothing is
// checked before it is inserted. user_ous lists every unit a user belongs
// to, for the unit filter of ListUsers.
//
// Access key secrets are sealed for "access_key:"+id. Application secrets
// arrive hashed and are stored as given.
//
// # Changes
//
// CreateUser, UpdateUser and DeleteUser each write the user, the difference
// between Commit.OldClaims and Commit.Claims, one audit_log row and one
// outbox row, all or nothing. UpdateUser and DeleteUser read the current row
// under a lock (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
// already excludes other writers), call the caller's apply with a copy, and
// write with "WHERE version = current" as a second guard. Commit sequence
// numbers of the outbox become visible in order (see Dialect.OrderOutbox),
// so a consumer polling ListEvents with the last Seq it saw misses nothing.
//
// # Group commit
//
// These user writes share transactions: each is queued, and a runner
// goroutine takes every write queued (at most 128), opens one transaction,
// runs the writes, inserts the batch's outbox rows in one statement, commits
// once and only then answers each caller. A write that fails (apply's
// error, a claim already taken, a version that does not follow, a panic in
// apply) fails alone; the others commit. A write that fails before it
// changed a row has nothing to undo; one that fails after makes the batch
// run again with a SAVEPOINT for it, rolled back to when it fails (creates
// have one from the start).
//
// Where the dialect can (Dialect.LockUsers, Dialect.Pipeline: PostgreSQL),
// a batch locks its users' rows in one statement up front, and the
// statements whose outcome a write does not need at once wait for the end
// of the batch, to go to the server in one round trip with the outbox's
// (see writeTx.execLater). Writes of one user in one batch run in the order they
// were queued, each seeing the one before. When the COMMIT fails, every
// write of the batch gets the error and none is acknowledged; when the
// database aborted the transaction for deadlock or serialization, the whole
// batch runs again, apply included. While one batch commits, and waits for
// its sync, the next one queues: a write alone commits at once, many share
// one sync, with no timer. Durability is the database's: a write is
// acknowledged after the COMMIT that covers it returned, with SQLite in WAL
// mode with synchronous=FULL and PostgreSQL with synchronous commit. A
// caller whose context ends while its write is queued gets the context's
// error and the write is dropped; once a batch has taken a write, its
// caller waits for the write's true outcome.
//
// A batch runs its writes (the statement phase, which takes row locks) in
// the order of their users' keys, then takes Dialect.OrderOutbox, inserts
// the outbox rows and commits (the commit phase). Up to Dialect.Batches
// batches run at once (one on SQLite; several on PostgreSQL, whose
// statements are round trips that other batches overlap). Because every
// batch locks user rows in one global order, batches of one replica or of
// several never wait for each other in a cycle on them; a cycle through a
// claim that two batches both add is broken by the database, and the batch
// it aborts runs again. CommitStats counts batches and writes.
//
// # The security epoch
//
// security_epoch is a one-row counter that triggers of the schema
// increment in the transaction of every change that can end a token's
// validity (a session revoked; a user disabled, deleted or given a new
// password) or make a cached application, access key or custom field
// definition stale. Triggers rather than Go code, so that no write path —
// a batched UpdateUser, the importer, an operator's SQL — can forget it; on
// PostgreSQL they are deferred to commit, so the counter's row lock is
// taken last and cannot close a cycle of waits. SecurityEpoch reads it;
// package cache explains what servers do with it.
//
// Errors of the domain (not found, conflict, invalid cursor) are
// *eiam.Error; an error of apply is returned exactly as apply returned it;
// anything else is wrapped with what was being done.
package sqlstore
