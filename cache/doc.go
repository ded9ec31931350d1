// Package cache keeps in memory what nearly every request looks up and
// almost never changes — applications, access keys, custom field
// definitions, and package token's verdicts on sessions — without ever
// serving a change late, on this server or on any other replica of it.
//
// The database keeps a security epoch (eiam.EpochStore): a counter that
// grows in the very transaction of every change that could make a cached
// row stale or end a token's validity. Each lookup first reads the counter
// (one primary-key read of a one-row table) and uses what is in memory
// only if it was loaded at that same epoch; otherwise it reads the row and
// keeps it, labelled with the epoch it read before. Because the epoch is
// read before the row, a row labelled N was read after every change that
// brought the epoch to N had committed; and any change acknowledged before
// a request began has already moved the epoch that request reads. So a
// revocation, a disabled user or application, a new field definition takes
// effect with the next request everywhere, with no notification to miss
// and no time-to-live to wait out. Between such changes, a request costs
// one tiny read instead of the rows themselves.
//
// Epoch lets concurrent requests share the epoch's reads without giving up
// that guarantee: a caller waits for a read that begins after it called.
//
// Only what does not change with ordinary traffic is cached: profile
// updates leave the epoch alone and users are never cached, so a profile is
// always read fresh.
package cache
