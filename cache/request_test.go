package cache_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/cache"
	"github.com/eiam/eiam/storetest"
)

// TestRequestSharesEpochReads: the reads of the security epoch made for one
// request share one query; a request that begins after the latest query
// waits for one of its own, and so sees every change committed before it
// began, through any replica.
func TestRequestSharesEpochReads(t *testing.T) {
	storetest.EachPair(t, func(t *testing.T, a, b eiam.Store) {
		ctx := context.Background()
		const inst = "idaas_request"
		putInstance(t, b, inst)
		counting := storetest.NewCounting(a)
		e := cache.NewEpoch(counting)

		req := cache.Request(ctx)
		first, err := e.Read(req)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if got, err := e.Read(req); err != nil || got != first {
				t.Fatalf("a later read of the request = %d, %v; want %d", got, err, first)
			}
		}
		if n := counting.Calls("SecurityEpoch"); n != 1 {
			t.Errorf("4 reads of one request sent %d queries; want 1", n)
		}
		// Without a request, every read waits for a query of its own.
		if _, err := e.Read(ctx); err != nil {
			t.Fatal(err)
		}
		if n := counting.Calls("SecurityEpoch"); n != 2 {
			t.Errorf("a read outside any request shared an earlier query (%d queries; want 2)", n)
		}

		for i := range 20 {
			if err := b.PutField(ctx, field(inst, i)); err != nil {
				t.Fatal(err)
			}
			committed, err := b.SecurityEpoch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := e.Read(cache.Request(ctx)); err != nil || got < committed {
				t.Fatalf("change %d: a request that began after it read %d, %v; the epoch was %d", i, got, err, committed)
			}
		}
	})
}

// TestRequestReadsWhatItWrote: once a request writes through the caching
// Store, its reads no longer come from a query that began before the write,
// so it sees its own change at once.
func TestRequestReadsWhatItWrote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		const inst = "idaas_wrote"
		putInstance(t, s, inst)
		c := cache.New(s)
		req := cache.Request(ctx)
		if defs, err := c.ListFields(req, inst); err != nil || len(defs) != 0 {
			t.Fatalf("ListFields = %v, %v; want none", defs, err)
		}
		if err := c.PutField(req, field(inst, 1)); err != nil {
			t.Fatal(err)
		}
		defs, err := c.ListFields(req, inst)
		if err != nil || len(defs) != 1 {
			t.Fatalf("ListFields in the request that added a field = %d definitions, %v; want 1", len(defs), err)
		}
	})
}

// TestEveryEpochWriteMarksTheRequest: each method of eiam.Store is either a
// write that can move the security epoch, which the caching Store must mark
// on the request before it begins, or one that cannot. A method added to
// eiam.Store fails this test until it is placed in one of the two lists.
func TestEveryEpochWriteMarksTheRequest(t *testing.T) {
	moves := []string{"UpdateUser", "DeleteUser", "RevokeSession", "RevokeUserSessions",
		"PutApplication", "PutAccessKey", "PutField", "DeleteField"}
	stays := []string{"GetUser", "LookupUser", "ClaimHolders", "ListUsers", "CreateUser", "CreateUsers", "BulkWriter",
		"GetInstance", "PutInstance", "GetOrgUnit", "PutOrgUnit", "ListOrgUnits",
		"GetApplication", "FindApplicationByClientID", "GetAccessKey", "ListFields", "GetField",
		"ListAudit", "ListEvents", "CreateSession", "GetSession", "RotateRefresh",
		"ListSigningKeys", "PutSigningKey", "ClaimNonce", "GetLoginState", "RecordLoginFailure", "ResetLogin",
		"CreateAuthRequest", "GetAuthRequest", "CompleteAuthRequest", "SetAuthCode", "GetAuthRequestByCode",
		"RedeemAuthRequest", "SecurityEpoch", "Ping", "Close"}
	iface := reflect.TypeFor[eiam.Store]()
	for i := range iface.NumMethod() {
		m := iface.Method(i).Name
		if !slices.Contains(moves, m) && !slices.Contains(stays, m) {
			t.Errorf("eiam.Store.%s: say whether it can move the security epoch (see eiam.EpochStore)", m)
		}
	}
	// A Store over nothing: each call reaches the missing store and
	// panics, after the caching Store has marked the request or not.
	for _, m := range append(slices.Clone(moves), stays...) {
		fn := reflect.ValueOf(cache.New(panicking{})).MethodByName(m)
		if !fn.IsValid() {
			t.Errorf("cache.Store has no method %s", m)
			continue
		}
		base := context.Background()
		req := cache.Request(base)
		args := make([]reflect.Value, fn.Type().NumIn())
		for j := range args {
			if fn.Type().In(j) == reflect.TypeFor[context.Context]() {
				args[j] = reflect.ValueOf(req)
			} else {
				args[j] = reflect.Zero(fn.Type().In(j))
			}
		}
		func() {
			defer func() { _ = recover() }()
			fn.Call(args)
		}()
		if got, want := cache.Wrote(req), slices.Contains(moves, m); got != want {
			t.Errorf("%s marked the request as written: %v; want %v", m, got, want)
		}
	}
}

// panicking is an eiam.Store whose every method panics.
type panicking struct{ eiam.Store }

func field(inst string, i int) *eiam.FieldDefinition {
	return &eiam.FieldDefinition{InstanceID: inst, ID: fmt.Sprintf("ufd_%d", i), Name: fmt.Sprintf("f%d", i),
		DataType: eiam.TypeString, DisplayType: eiam.DisplayInput, UserPermission: eiam.PermReadWrite}
}
