package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
)

// testHasher hashes with the weakest parameters password allows, so that
// tests with passwords stay fast.
func testHasher(t *testing.T) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newImporter(t *testing.T, s eiam.Store) (*Importer, *password.Hasher) {
	t.Helper()
	h := testHasher(t)
	key, _, err := masterkey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	im, err := New(s, Options{Hasher: h, Index: key})
	if err != nil {
		t.Fatal(err)
	}
	return im, h
}

func quickstart(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/quickstart.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustImport(t *testing.T, im *Importer, doc string) *Report {
	t.Helper()
	rep, err := im.Import(context.Background(), strings.NewReader(doc))
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			t.Fatalf("import: %s", ve.Text())
		}
		t.Fatalf("import: %v", err)
	}
	return rep
}

func countEvents(t *testing.T, s eiam.Store) int {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestImportQuickstartIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		im, h := newImporter(t, s)
		doc := quickstart(t)

		rep := mustImport(t, im, doc)
		want := Report{
			Instances: Counts{Created: 1}, OrgUnits: Counts{Created: 1}, CustomFields: Counts{Created: 2},
			Applications: Counts{Created: 1}, AccessKeys: Counts{Created: 1}, Users: Counts{Created: 1},
		}
		if *rep != want {
			t.Fatalf("first import: %+v, want %+v", *rep, want)
		}

		inst, err := s.GetInstance(ctx, "idaas_example01")
		if err != nil {
			t.Fatal(err)
		}
		ou, err := s.GetOrgUnit(ctx, inst.ID, "ou_example_rd")
		if err != nil || ou.ParentID != inst.RootOUID {
			t.Fatalf("unit %+v (%v): want it under the root %s", ou, err, inst.RootOUID)
		}
		u, err := s.GetUser(ctx, inst.ID, "user_zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		if u.Username() != "zhangsan" || u.Attr(eiam.AttrEmail) != "zhangsan@example.com" || !u.EmailVerified ||
			!u.PhoneVerified || u.PrimaryOUID != "ou_example_rd" || u.CustomValue("age") != "30" {
			t.Errorf("user as stored: %+v", u)
		}
		if ok, _, err := h.Verify(u.PasswordHash, "S3cure-pass!"); err != nil || !ok {
			t.Errorf("password does not verify: %v", err)
		}
		app, err := s.GetApplication(ctx, inst.ID, "app_example01")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := h.Verify(app.SecretHash, "change-me"); err != nil || !ok {
			t.Errorf("client secret does not verify: %v", err)
		}
		key, err := s.GetAccessKey(ctx, "LTAI5tExample000001")
		if err != nil || key.Secret != "exampleSecret000000000000000001" || !key.Allows("eiam:UpdateUser", inst.ID) {
			t.Errorf("access key %+v (%v)", key, err)
		}
		audit, err := s.ListAudit(ctx, inst.ID, u.ID)
		if err != nil || len(audit) != 1 || audit[0].Actor.ID != "import" || audit[0].Origin.Dialect != "import" {
			t.Fatalf("audit after create: %+v (%v)", audit, err)
		}
		events := countEvents(t, s)

		rep = mustImport(t, im, doc)
		if rep.Changed() {
			t.Errorf("second import changed something: %+v", *rep)
		}
		if !strings.Contains(rep.Summary("quickstart.json"), "no changes: everything in quickstart.json is already applied") {
			t.Errorf("summary: %s", rep.Summary("quickstart.json"))
		}
		if audit, _ := s.ListAudit(ctx, inst.ID, u.ID); len(audit) != 1 {
			t.Errorf("second import wrote audit records: %d", len(audit))
		}
		if n := countEvents(t, s); n != events {
			t.Errorf("second import wrote events: %d, was %d", n, events)
		}
		if u2, _ := s.GetUser(ctx, inst.ID, u.ID); u2.Version != u.Version {
			t.Errorf("version moved from %d to %d", u.Version, u2.Version)
		}
	})
}

func TestImportUpdatesOnlyWhatDiffers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		im, h := newImporter(t, s)
		doc := quickstart(t)
		mustImport(t, im, doc)

		doc = strings.Replace(doc, `"display_name": "Zhang San"`, `"display_name": "San Zhang", "nickname": "zs"`, 1)
		doc = strings.Replace(doc, `"S3cure-pass!"`, `"N3w-secret!"`, 1)
		doc = strings.Replace(doc, `"client_secret": "change-me"`, `"client_secret": "changed-secret"`, 1)
		doc = strings.Replace(doc, `{"age": "30"}`, `{"age": 31, "employee_no": "E001"}`, 1)
		rep := mustImport(t, im, doc)
		if rep.Users != (Counts{Updated: 1}) || rep.Applications != (Counts{Updated: 1}) || rep.Instances != (Counts{Unchanged: 1}) {
			t.Fatalf("report %+v", *rep)
		}
		audit, err := s.ListAudit(ctx, "idaas_example01", "user_zhangsan")
		if err != nil || len(audit) != 2 {
			t.Fatalf("audit %+v (%v)", audit, err)
		}
		var changed []string
		for _, c := range audit[1].Changes {
			changed = append(changed, c.Attribute)
		}
		slices.Sort(changed)
		want := []string{"custom_fields.age", "custom_fields.employee_no", "display_name", "nickname", "password"}
		if !slices.Equal(changed, want) {
			t.Errorf("changed %v, want %v", changed, want)
		}
		u, _ := s.GetUser(ctx, "idaas_example01", "user_zhangsan")
		if ok, _, _ := h.Verify(u.PasswordHash, "N3w-secret!"); !ok {
			t.Error("new password not set")
		}
		app, _ := s.GetApplication(ctx, "idaas_example01", "app_example01")
		if ok, _, _ := h.Verify(app.SecretHash, "changed-secret"); !ok {
			t.Error("new client secret not set")
		}
		if rep := mustImport(t, im, doc); rep.Changed() {
			t.Errorf("re-import changed: %+v", *rep)
		}
	})
}

func TestImportReportsEveryProblemAndWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		im, _ := newImporter(t, s)
		// A user already in the database holds "taken".
		mustImport(t, im, `{"instances":[{"id":"idaas_a","name":"A","users":[{"id":"user_x","username":"taken"}]}]}`)
		events := countEvents(t, s)

		doc := `{"instances":[{"id":"idaas_a","name":"A renamed",
		  "organizational_units":[{"id":"ou_1","name":"One","parent":"ou_missing"}],
		  "custom_fields":[{"name":"Bad Name","data_type":"text"}],
		  "users":[
		    {"username":"alice","email":"alice@example.com"},
		    {"username":"bob","email":"not-an-email","custom_fields":{"undeclared":"x"}},
		    {"username":"ALICE"},
		    {"id":"user_y","username":"taken"},
		    {"username":"carol","emial":"carol@example.com","primary_organizational_unit_id":"ou_nope"},
		    {"id":"user_x","username":"renamed"},
		    {"username":"taken"}
		  ]},
		  {"id":"idaas_a","name":"again"}],
		 "access_keys":[{"id":"LTAI1","secret":"short","actions":["nope"],"instances":["idaas_zzz"]}]}`
		_, err := im.Import(ctx, strings.NewReader(doc))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v, want a ValidationError", err)
		}
		text := ve.Text()
		for _, want := range []string{
			"instances[0].users[4].emial: unknown field",
			"instances[0].organizational_units[0].parent: unknown organizational unit \"ou_missing\"",
			"instances[0].custom_fields[0].name: Parameter field_name has an invalid format",
			"instances[0].custom_fields[0].data_type: Parameter data_type must be one of",
			"instances[0].users[1].email: Parameter email is not a valid email address.",
			"instances[0].users[1].custom_fields.undeclared: Custom field custom_fields.undeclared is not defined in this instance.",
			"instances[0].users[2].username: \"ALICE\" is also used by instances[0].users[0]",
			"instances[0].users[3].username: \"taken\" already belongs to user \"user_x\" in the database",
			"instances[0].users[4].primary_organizational_unit_id: unknown organizational unit \"ou_nope\"",
			"instances[0].users[6].username: names stored user \"user_x\", as instances[0].users[5] does",
			"instances[1].id: \"idaas_a\" is also used by instances[0]",
			"access_keys[0].secret: must be 16 to 128",
			"access_keys[0].actions[0]: \"nope\" is not an action",
			"access_keys[0].instances[0]: unknown instance \"idaas_zzz\"",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("problems lack %q", want)
			}
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("problems:\n%s", text)
		}
		inst, err := s.GetInstance(ctx, "idaas_a")
		if err != nil || inst.Name != "A" {
			t.Errorf("instance changed: %+v %v", inst, err)
		}
		if _, err := s.LookupUser(ctx, "idaas_a", eiam.UsernameClaim("alice")); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("alice was written: %v", err)
		}
		if n := countEvents(t, s); n != events {
			t.Errorf("events written: %d, was %d", n, events)
		}
	})
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown top-level key", `{"instance":[]}`, []string{"instance: unknown field"}},
		{"wrong types", `{"instances":[{"id":1,"name":"x","users":{}}]}`,
			[]string{"instances[0].id: must be a string", "instances[0].users: must be an array"}},
		{"duplicate key", `{"instances":[{"id":"a","id":"b"}]}`, []string{"instances[0].id: appears more than once"}},
		{"unknown address part", `{"instances":[{"id":"a","name":"A","users":[{"username":"u","address":{"town":"x"}}]}]}`,
			[]string{"instances[0].users[0].address.town: unknown field"}},
		{"dotted attribute", `{"instances":[{"id":"a","name":"A","users":[{"username":"u","address.formatted":"x"}]}]}`,
			[]string{"instances[0].users[0].address.formatted: unknown field"}},
		{"custom field value types", `{"instances":[{"id":"a","name":"A","users":[{"username":"u","custom_fields":{"a":{},"b":[1,{}]}}]}]}`,
			[]string{"instances[0].users[0].custom_fields.a: must be a string, number, boolean, array or null",
				"instances[0].users[0].custom_fields.b[1]: must be a string, number or boolean"}},
		{"broken JSON", `{"instances":[{"id":"a",}]}`, []string{"invalid JSON at byte"}},
		{"broken JSON in a user", `{"instances":[{"id":"a","name":"A","users":[{"username":"u",}]}]}`,
			[]string{"instances[0].users[0]: invalid JSON at byte 60: invalid character '}'"}},
		{"invalid UTF-8", "{\"instances\":[{\"id\":\"a\xff\"}]}", []string{"instances[0].id: invalid JSON at byte 22: invalid UTF-8"}},
		{"truncated", `{"instances":[`, []string{"unexpected end of file"}},
		{"trailing data", `{} {}`, []string{"unexpected data after the top-level object"}},
		{"not an object", `[]`, []string{"(file): must be an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs, err := decodeAll(strings.NewReader(tt.doc))
			var se *syntaxError
			if errors.As(err, &se) {
				probs = append(probs, se.problem)
			} else if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, p := range probs {
				lines = append(lines, p.String())
			}
			got := strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
		})
	}
}

// decodeAll decodes a file as an import does and returns every problem of
// decoding, the users' included.
func decodeAll(r io.ReadSeeker) ([]Problem, error) {
	_, probs, err := decodeOutline(r)
	if err != nil {
		return nil, err
	}
	err = eachUser(r, func(i, k int, raw json.RawMessage) error {
		_, ps, err := decodeUser(raw, index(join(index("instances", i), "users"), k))
		probs = append(probs, ps...)
		return err
	})
	return probs, err
}

func TestDecodeUser(t *testing.T) {
	doc := `{"instances":[{"id":"a","name":"A","users":[{"username":"u","nickname":null,"address":{"locality":"Hangzhou"},
		"email_verified":false,"organizational_unit_ids":["ou_1"],"custom_fields":{"n":30,"b":true,"tags":["x","y"],"gone":null}}]}]}`
	var u *User
	err := eachUser(strings.NewReader(doc), func(_, _ int, raw json.RawMessage) error {
		var probs []Problem
		var err error
		if u, probs, err = decodeUser(raw, "u"); err == nil && len(probs) > 0 {
			err = fmt.Errorf("problems %v", probs)
		}
		return err
	})
	if err != nil || u == nil {
		t.Fatalf("%v %v", err, u)
	}
	if v, ok := u.Attrs[eiam.AttrNickname]; !ok || v != "" {
		t.Error("null attribute should be present and empty (clear)")
	}
	if u.Attrs[eiam.AttrLocality] != "Hangzhou" || u.EmailVerified == nil || *u.EmailVerified || u.OUIDs == nil {
		t.Errorf("user %+v", u)
	}
	want := []CustomValue{{"n", []string{"30"}}, {"b", []string{"true"}}, {"tags", []string{"x", "y"}}, {"gone", nil}}
	if len(u.CustomFields) != len(want) {
		t.Fatalf("custom fields %+v", u.CustomFields)
	}
	for i := range want {
		if u.CustomFields[i].Name != want[i].Name || !slices.Equal(u.CustomFields[i].Values, want[i].Values) {
			t.Errorf("custom field %d: %+v, want %+v", i, u.CustomFields[i], want[i])
		}
	}
}

func TestImportProgress(t *testing.T) {
	s := storetest.OpenSQLite(t)
	h := testHasher(t)
	var progress strings.Builder
	im, err := New(s, Options{Hasher: h, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"instances":[{"id":"idaas_big","name":"Big","users":[`)
	const n = progressThreshold + 200
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"username":"user%04d","email":"user%04d@example.com"}`, i, i)
	}
	b.WriteString(`]}]}`)
	rep := mustImport(t, im, b.String())
	if rep.Users.Created != n {
		t.Errorf("created %d users, want %d", rep.Users.Created, n)
	}
	for _, want := range []string{
		fmt.Sprintf("import: checking users %d/%d (10%%)", n/10, n),
		fmt.Sprintf("import: checking users %d/%d (100%%), in ", n, n),
		fmt.Sprintf("import: writing users %d/%d (100%%), in ", n, n),
	} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	if rep := mustImport(t, im, b.String()); rep.Changed() || rep.Users.Unchanged != n {
		t.Errorf("re-import: %+v", *rep)
	}
}

func TestImportUnits(t *testing.T) {
	s := storetest.OpenSQLite(t)
	im, _ := newImporter(t, s)
	ctx := context.Background()
	// A child listed before its parent is written after it.
	rep := mustImport(t, im, `{"instances":[{"id":"idaas_u","name":"U","organizational_units":[
		{"id":"ou_b","name":"B","parent":"ou_a"},{"id":"ou_a","name":"A"}],
		"users":[{"username":"rooted"}]}]}`)
	if rep.OrgUnits != (Counts{Created: 2}) {
		t.Fatalf("units %+v", rep.OrgUnits)
	}
	inst, _ := s.GetInstance(ctx, "idaas_u")
	a, _ := s.GetOrgUnit(ctx, inst.ID, "ou_a")
	b, _ := s.GetOrgUnit(ctx, inst.ID, "ou_b")
	if a.ParentID != inst.RootOUID || b.ParentID != "ou_a" {
		t.Errorf("a %+v, b %+v", a, b)
	}
	u, err := s.LookupUser(ctx, inst.ID, eiam.UsernameClaim("rooted"))
	if err != nil || u.PrimaryOUID != inst.RootOUID {
		t.Errorf("user without a unit: %+v %v; want the root", u, err)
	}
	// Moving a unit is an update; a cycle is a problem.
	rep = mustImport(t, im, `{"instances":[{"id":"idaas_u","name":"U","organizational_units":[
		{"id":"ou_b","name":"B"},{"id":"ou_a","name":"A"}]}]}`)
	if rep.OrgUnits != (Counts{Updated: 1, Unchanged: 1}) {
		t.Errorf("units %+v", rep.OrgUnits)
	}
	_, err = im.Import(ctx, strings.NewReader(`{"instances":[{"id":"idaas_u","name":"U","organizational_units":[
		{"id":"ou_b","name":"B","parent":"ou_a"},{"id":"ou_a","name":"A","parent":"ou_b"}]}]}`))
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Text(), "organizational_units[0].parent: organizational units form a cycle") {
		t.Errorf("cycle: %v", err)
	}
}

// bigFile is an instance with n users user0000…, each with an email and a
// unique employee number; users named in rename get a new display name.
func bigFile(n int, rename map[int]bool, extra string) string {
	var b strings.Builder
	b.WriteString(`{"instances":[{"id":"idaas_big","name":"Big","custom_fields":[
		{"name":"employee_no","data_type":"string","unique":true}],"users":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		display := fmt.Sprintf("User %d", i)
		if rename[i] {
			display = "Renamed"
		}
		fmt.Fprintf(&b, `{"username":"user%04d","display_name":%q,"email":"user%04d@example.com","email_verified":true,"custom_fields":{"employee_no":"E%04d"}}`,
			i, display, i, i)
	}
	b.WriteString(extra)
	b.WriteString(`]}]}`)
	return b.String()
}

func TestImportInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s eiam.Store) {
		ctx := context.Background()
		im, _ := newImporter(t, s)
		im.checkBatch, im.writeBatch = 100, 300
		n := im.writeBatch + im.checkBatch + 7 // batches of both sizes, and a short last one
		rep := mustImport(t, im, bigFile(n, nil, ""))
		if rep.Users != (Counts{Created: n}) {
			t.Fatalf("first import: %+v", rep.Users)
		}
		last, err := s.LookupUser(ctx, "idaas_big", eiam.EmailClaim(fmt.Sprintf("user%04d@example.com", n-1)))
		if err != nil || last.CustomValue("employee_no") != fmt.Sprintf("E%04d", n-1) {
			t.Fatalf("last user: %+v, %v", last, err)
		}

		// Users matched by username, changed ones in several batches.
		rename := map[int]bool{3: true, im.checkBatch + 1: true, n - 1: true}
		rep = mustImport(t, im, bigFile(n, rename, ""))
		if rep.Users != (Counts{Updated: 3, Unchanged: n - 3}) {
			t.Fatalf("second import: %+v", rep.Users)
		}
		for i := range rename {
			u, err := s.LookupUser(ctx, "idaas_big", eiam.UsernameClaim(fmt.Sprintf("user%04d", i)))
			if err != nil || u.Attr(eiam.AttrDisplayName) != "Renamed" || u.Version != 2 {
				t.Errorf("user %d: %+v, %v; want renamed, version 2", i, u, err)
			}
		}
		if rep := mustImport(t, im, bigFile(n, rename, "")); rep.Changed() {
			t.Errorf("third import changed: %+v", rep.Users)
		}

		// Duplicates are found across batches, within the file and
		// against the database; nothing is written.
		events := countEvents(t, s)
		extra := fmt.Sprintf(`,{"username":"late","email":"USER0002@example.com"},{"username":"late2","custom_fields":{"employee_no":"E%04d"}},
			{"username":"new1","email":"new@example.com"},{"username":"new2","email":"new@example.com"}`, im.checkBatch+5)
		_, err = im.Import(ctx, strings.NewReader(bigFile(n, nil, extra)))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v, want a ValidationError", err)
		}
		for _, want := range []string{
			fmt.Sprintf(`instances[0].users[%d].email: "USER0002@example.com" is also used by instances[0].users[2]`, n),
			fmt.Sprintf(`instances[0].users[%d].custom_fields.employee_no: "E%04d" is also used by instances[0].users[%d]`, n+1, im.checkBatch+5, im.checkBatch+5),
			fmt.Sprintf(`instances[0].users[%d].email: "new@example.com" is also used by instances[0].users[%d]`, n+3, n+2),
		} {
			if !strings.Contains(ve.Text(), want) {
				t.Errorf("problems lack %q:\n%s", want, ve.Text())
			}
		}
		if countEvents(t, s) != events {
			t.Error("a refused import wrote events")
		}
		if _, err := s.LookupUser(ctx, "idaas_big", eiam.UsernameClaim("new1")); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("new1 of a refused import: %v", err)
		}
	})
}

func TestImportProgressBar(t *testing.T) {
	s := storetest.OpenSQLite(t)
	h := testHasher(t)
	var out strings.Builder
	// A clock that advances a second at every reading redraws the bar at
	// every user.
	// The directory reads it from every core.
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	im, err := New(s, Options{Hasher: h, Progress: &out, ProgressBar: true, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	n := progressThreshold
	mustImport(t, im, bigFile(n, nil, ""))
	text := out.String()
	for _, want := range []string{
		"\rimport: checking users [###############               ]  50% 500/1000 ",
		fmt.Sprintf("\rimport: checking users [##############################] 100%% %d/%d in ", n, n),
		fmt.Sprintf("\rimport: writing users [##############################] 100%% %d/%d in ", n, n),
		" ETA ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	if lines := strings.Count(text, "\n"); lines != 2 {
		t.Errorf("progress has %d lines; want one per phase, each redrawn in place", lines)
	}
}
