package password

import (
	"strings"
	"testing"
)

var fast = Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashVerify(t *testing.T) {
	h, err := NewHasher(fast)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash("S3cure-pass!")
	if err != nil {
		t.Fatal(err)
	}
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
