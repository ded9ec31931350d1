package importer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary files to the decoder as an import reads them:
// it must never panic, every problem must name where it is, and the second
// pass must see exactly the users the first counted.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"instances":[{"id":"a","name":"A","users":[{"username":"u","email":"u@x.com","custom_fields":{"n":1,"t":["a",true]}}]}]}`,
		`{"instances":[{"id":"a","id":"b","users":[{"username":"u","username":"v"},{"address":{"locality":null}}]}],"access_keys":[{}]}`,
		`{"instances":[{"id":"a",}]}`,
		`{"instances":[{"users":[{"username":"u"} {}]}]}`,
		"{\"instances\":[{\"id\":\"a\xff\"}]}",
		`{} {}`,
		`[]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		file, probs, err := decodeOutline(strings.NewReader(doc))
		var se *syntaxError
		if err != nil {
			if !errors.As(err, &se) || se.problem.Path == "" || se.problem.Message == "" {
				t.Fatalf("decodeOutline: %v", err)
			}
			return
		}
		counted := 0
		for _, in := range file.Instances {
			counted += in.Users.n
		}
		seen := 0
		err = eachUser(strings.NewReader(doc), func(i, k int, raw json.RawMessage) error {
			seen++
			if !json.Valid(raw) {
				t.Errorf("user %d of instance %d is not valid JSON: %q", k, i, raw)
			}
			_, ps, err := decodeUser(raw, "u")
			probs = append(probs, ps...)
			return err
		})
		if err != nil {
			t.Fatalf("a file that passed decodeOutline failed later: %v", err)
		}
		if seen != counted {
			t.Errorf("decodeOutline counted %d users, eachUser saw %d", counted, seen)
		}
		for _, p := range probs {
			if p.Path == "" || p.Message == "" {
				t.Errorf("problem without a path or message: %+v", p)
			}
		}
	})
}
