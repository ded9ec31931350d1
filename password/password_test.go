package password

import (
	"strings"
	"testing"
	"time"
)

var fast = Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// hashed returns a hasher with the fast parameters and its hash of
// "S3cure-pass!".
func hashed(t *testing.T) (*Hasher, string) {
	t.Helper()
	h, err := NewHasher(fast)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash("S3cure-pass!")
	if err != nil {
		t.Fatal(err)
	}
	return h, enc
}

func TestHashVerify(t *testing.T) {
	h, enc := hashed(t)
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", enc)
	}
	if ok, rehash, err := h.Verify(enc, "S3cure-pass!"); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v,%v,%v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(enc, "S3cure-pass?"); ok {
		t.Fatal("wrong password verified")
	}
	enc2, _ := h.Hash("S3cure-pass!")
	if enc == enc2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestRehashWhenParamsChange(t *testing.T) {
	old, _ := NewHasher(fast)
	enc, _ := old.Hash("pw")
	stronger := fast
	stronger.Time = 2
	h, _ := NewHasher(stronger)
	ok, rehash, err := h.Verify(enc, "pw")
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify old hash with new params = %v,%v,%v; want ok and rehash", ok, rehash, err)
	}
}

func TestMalformedAndHostileHashes(t *testing.T) {
	h, _ := NewHasher(fast)
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=8192,t=1,p=1$!!$a2V5",
	} {
		if ok, _, err := h.Verify(enc, "pw"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want error", enc, ok, err)
		}
	}
	if err := (Params{Memory: 1, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}).Validate(); err == nil {
		t.Error("weak params accepted")
	}
}

func TestParseParams(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Params
		ok   bool
	}{
		{"m=19456,t=2,p=1", DefaultParams, true},
		{"m=65536, t=3, p=4", Params{Memory: 65536, Time: 3, Threads: 4, KeyLen: 32, SaltLen: 16}, true},
		{"t=4", Params{Memory: 19 * 1024, Time: 4, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"m=1024,t=2,p=1", Params{}, false}, // weaker than the floor
		{"m=19456,t=0,p=1", Params{}, false},
		{"m=19456,x=2", Params{}, false},
		{"m=19456,m=20000", Params{}, false},
		{"m=lots", Params{}, false},
		{"p=300", Params{}, false},
		{"", Params{}, false},
	} {
		got, err := ParseParams(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseParams(%q) = %+v, %v; want %+v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			if back, _ := ParseParams(got.String()); back != got {
				t.Errorf("String() of %+v does not parse back: %q", got, got.String())
			}
		}
	}
}

// TestHashingWaitsForASlot: with every slot taken, hashing, verifying and
// the dummy verification all wait, and each goes on once a slot is free,
// so a burst of sign-ins holds at most GOMAXPROCS hashes' memory.
func TestHashingWaitsForASlot(t *testing.T) {
	h, enc := hashed(t)
	held := 0
	t.Cleanup(func() { // free what the test still holds, even when it fails
		for range held {
			<-hashing
		}
	})
	for range cap(hashing) {
		hashing <- struct{}{}
		held++
	}
	done := make(chan string, 3)
	go func() { _, _ = h.Hash("x"); done <- "Hash" }()
	go func() { _, _, _ = h.Verify(enc, "S3cure-pass!"); done <- "Verify" }()
	go func() { h.Dummy("x"); done <- "Dummy" }()
	select {
	case which := <-done:
		t.Fatalf("%s ran while every slot was taken", which)
	case <-time.After(100 * time.Millisecond):
	}
	<-hashing // one slot free: the three run one after another in it
	held--
	for range 3 {
		<-done
	}
}
