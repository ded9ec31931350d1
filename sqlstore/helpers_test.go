package sqlstore

import (
	"strings"
	"testing"

	"github.com/eiam/eiam"
)

func TestRebind(t *testing.T) {
	d := Dialect{DollarPlaceholders: true}
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{strings.Repeat("?", 11), "$1$2$3$4$5$6$7$8$9$10$11"},
	} {
		if got := d.rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := (&Dialect{}).rebind("a = ?"); got != "a = ?" {
		t.Errorf("question-mark dialect rewrote the query: %q", got)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct {
		prefix, end string
		ok          bool
	}{
		{"a", "b", true},
		{"a_", "a`", true},
		{"张", "弡", true},
		{"a\U0010FFFF", "b", true},
		{"\ud7ff", "\ue000", true},
		{"\U0010FFFF", "", false},
	} {
		end, ok := prefixEnd(tc.prefix)
		if end != tc.end || ok != tc.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, end, ok, tc.end, tc.ok)
		}
	}
	// Every string with the prefix sorts before the end, bytewise.
	end, _ := prefixEnd("ab")
	for _, s := range []string{"ab", "ab\x00", "abz", "ab\U0010FFFF\U0010FFFF"} {
		if !(s >= "ab" && s < end) {
			t.Errorf("%q is outside [ab, %q)", s, end)
		}
	}
	if "ac" < end {
		t.Errorf("ac is inside [ab, %q)", end)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, o := range []userOrder{byUsername, byDisplayName} {
		c := encodeCursor(o, "zhang.san@x", "user_abc")
		name, id, err := decodeCursor(c, o)
		if err != nil || name != "zhang.san@x" || id != "user_abc" {
			t.Fatalf("decodeCursor(%s) = %q, %q, %v", o.column, name, id, err)
		}
		for _, bad := range []string{"", "!!", encodeCursor(o, "x", "")[:2]} {
			if _, _, err := decodeCursor(bad, o); eiam.ErrorCode(err) != eiam.ErrInvalid {
				t.Errorf("decodeCursor(%q, %s) = %v; want ErrInvalid", bad, o.column, err)
			}
		}
	}
	// A cursor of one order is refused by a list in the other.
	if _, _, err := decodeCursor(encodeCursor(byUsername, "a", "user_a"), byDisplayName); eiam.ErrorCode(err) != eiam.ErrInvalid {
		t.Errorf("username cursor in a display-name list: %v; want ErrInvalid", err)
	}
	if _, _, err := decodeCursor(encodeCursor(byDisplayName, "a", "user_a"), byUsername); eiam.ErrorCode(err) != eiam.ErrInvalid {
		t.Errorf("display-name cursor in a username list: %v; want ErrInvalid", err)
	}
}

func TestDiffClaims(t *testing.T) {
	u, e1, e2 := eiam.UsernameClaim("a"), eiam.EmailClaim("a@x"), eiam.EmailClaim("b@x")
	removed, added := diffClaims([]eiam.Claim{u, e1}, []eiam.Claim{u, e2})
	if len(removed) != 1 || removed[0] != e1 || len(added) != 1 || added[0] != e2 {
		t.Errorf("diffClaims = %v, %v", removed, added)
	}
	if got := sortedClaims([]eiam.Claim{e2, u, e1, e2}); len(got) != 3 || got[0] != e1 || got[2] != u {
		t.Errorf("sortedClaims = %v; want sorted by kind and value, without repeats", got)
	}
}
