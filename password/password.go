// Package password hashes and verifies secrets (user passwords, application
// client secrets) with argon2id, encoded in the PHC string format so that the
// parameters travel with each hash and can be raised later: Verify reports
// when a hash was made with weaker parameters than the current ones, and the
// caller rehashes on the next successful sign-in.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	// Memory in KiB.
	Memory  uint32
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultParams follow the OWASP recommendation for argon2id (19 MiB, two
// passes, one lane).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// hashing bounds the argon2id computations that run at once to the number
// of CPUs the process had when it started. Each is CPU-bound and holds its
// memory (19 MiB by default) from start to end, so running more at once
// finishes none sooner and multiplies the memory a burst of sign-ins
// takes: 64 at once allocated 1.2 GiB before. Callers wait for a slot
// instead; client-secret checks wait in the same queue as sign-ins.
var hashing = make(chan struct{}, runtime.GOMAXPROCS(0))

// idKey is argon2.IDKey in a slot of hashing.
func idKey(secret string, salt []byte, p Params, keyLen uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, keyLen)
}

// Validate checks that the parameters are usable and not trivially weak.
func (p Params) Validate() error {
	switch {
	case p.Memory < 8*1024:
		return errors.New("argon2id memory must be at least 8192 KiB")
	case p.Time < 1:
		return errors.New("argon2id time must be at least 1")
	case p.Threads < 1:
		return errors.New("argon2id threads must be at least 1")
	case p.KeyLen < 16 || p.SaltLen < 16:
		return errors.New("argon2id key and salt must be at least 16 bytes")
	}
	return nil
}

// Hasher hashes with fixed parameters.
type Hasher struct {
	Params Params
}

// NewHasher returns a Hasher with the given parameters.
func NewHasher(p Params) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Hasher{Params: p}, nil
}

// Hash returns the PHC-encoded argon2id hash of secret.
func (h *Hasher) Hash(secret string) (string, error) {
	p := h.Params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey(secret, salt, p, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is returned for a stored hash that cannot be parsed.
var ErrMalformed = errors.New("password: malformed hash")

// Verify reports whether secret matches encoded, comparing in constant time,
// and whether the hash should be replaced because its parameters differ from
// the hasher's.
func (h *Hasher) Verify(encoded, secret string) (ok, rehash bool, err error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got := idKey(secret, salt, p, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	rehash = p.Memory != h.Params.Memory || p.Time != h.Params.Time || p.Threads != h.Params.Threads ||
		uint32(len(want)) != h.Params.KeyLen
	return ok, rehash, nil
}

// Dummy burns the time of one verification; sign-in calls it when the user
// does not exist so that timing does not reveal which usernames exist.
func (h *Hasher) Dummy(secret string) {
	p := h.Params
	idKey(secret, make([]byte, p.SaltLen), p, p.KeyLen)
}

func decode(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformed
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrMalformed
	}
	// Bound the parameters a stored hash may demand, so a tampered row
	// cannot make verification allocate gigabytes.
	if p.Memory == 0 || p.Memory > 4*1024*1024 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return p, nil, nil, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrMalformed
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// ParseParams reads parameters written as in a PHC hash, "m=19456,t=2,p=1"
// (memory in KiB, passes, lanes); key and salt lengths stay the defaults.
func ParseParams(s string) (Params, error) {
	p := DefaultParams
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return Params{}, fmt.Errorf("argon2id parameters %q: want m=KiB,t=passes,p=lanes", s)
		}
		seen[k] = true
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, fmt.Errorf("argon2id lanes %d: at most 255", n)
			}
			p.Threads = uint8(n)
		default:
			return Params{}, fmt.Errorf("argon2id parameters %q: unknown %q; want m, t and p", s, k)
		}
	}
	return p, p.Validate()
}

// String writes the parameters as ParseParams reads them.
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}
