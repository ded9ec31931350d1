package masterkey

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpenRoundTripAndPurposeBinding(t *testing.T) {
	k, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.SealString("s3cret", "access_key")
	if sealed == "s3cret" {
		t.Fatal("sealed value equals plaintext")
	}
	got, err := k.OpenString(sealed, "access_key")
	if err != nil || got != "s3cret" {
		t.Fatalf("OpenString = %q, %v; want s3cret", got, err)
	}
	if _, err := k.OpenString(sealed, "identity_number"); err == nil {
		t.Fatal("a value sealed for one purpose opened under another")
	}
	other, _, _ := Generate()
	if _, err := other.OpenString(sealed, "access_key"); err == nil {
		t.Fatal("a value opened under a different master key")
	}
	if first, second := k.SealString("x", "p"), k.SealString("x", "p"); first == second {
		t.Fatal("two seals of the same value are identical; nonce not random")
	}
}

func TestBlindIndexIsDeterministicPerKeyAndPurpose(t *testing.T) {
	k, _, _ := Generate()
	other, _, _ := Generate()
	a, b := k.BlindIndex("110101199001011234", "cf:id"), k.BlindIndex("110101199001011234", "cf:id")
	if a != b {
		t.Fatal("blind index not deterministic")
	}
	if a == k.BlindIndex("110101199001011234", "cf:other") || a == other.BlindIndex("110101199001011234", "cf:id") {
		t.Fatal("blind index does not depend on purpose and key")
	}
}

func TestLoadCreatesOnceThenReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	if _, _, err := Load(path, false); err == nil {
		t.Fatal("Load without create of a missing file succeeded")
	}
	k1, created, err := Load(path, true)
	if err != nil || !created {
		t.Fatalf("Load create: created=%v err=%v", created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, created, err := Load(path, true)
	if err != nil || created {
		t.Fatalf("second Load: created=%v err=%v", created, err)
	}
	if v, err := k2.OpenString(k1.SealString("v", "p"), "p"); err != nil || v != "v" {
		t.Fatal("reloaded key cannot open what the first sealed")
	}
	os.WriteFile(path, []byte("not base64!"), 0o600)
	if _, _, err := Load(path, true); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
}
