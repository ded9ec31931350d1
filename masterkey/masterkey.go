// Package masterkey holds the server's master key: the key that encrypts
// secrets (access-key secrets, signing keys) and sensitive user attributes at
// rest, and that derives blind indexes so encrypted values can still be
// checked for uniqueness without storing them in clear.
package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// KeySize is the length of a master key in bytes.
const KeySize = 32

// version prefixes every ciphertext so the format can change later.
const version byte = 1

// Key encrypts and authenticates with keys derived from one master key.
type Key struct {
	aead  cipher.AEAD
	index []byte
}

// New derives the working keys from raw master key bytes.
func New(master []byte) (*Key, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(master))
	}
	enc := derive(master, "eiam encryption v1")
	block, err := aes.NewCipher(enc)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead, index: derive(master, "eiam blind index v1")}, nil
}

func derive(master []byte, info string) []byte {
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte(info)), out); err != nil {
		panic(err) // hkdf cannot fail for 32 bytes of output
	}
	return out
}

// Generate returns a new random master key.
func Generate() (*Key, []byte, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, err
	}
	k, err := New(raw)
	return k, raw, err
}

// Load reads a master key file (base64 of 32 bytes). When the file does not
// exist and create is true, a new key is written there with mode 0600 and
// created is true, so the caller can warn that a development key was made.
func Load(path string, create bool) (k *Key, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		_, raw, err := Generate()
		if err != nil {
			return nil, false, err
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, false, fmt.Errorf("create master key directory: %w", err)
			}
		}
		text := base64.StdEncoding.EncodeToString(raw) + "\n"
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return nil, false, fmt.Errorf("write master key: %w", err)
		}
		k, err := New(raw)
		return k, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, false, fmt.Errorf("master key file %s: not base64: %w", path, err)
	}
	k, err = New(raw)
	if err != nil {
		return nil, false, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, false, nil
}

// Seal encrypts plaintext. Purpose is bound to the ciphertext as associated
// data, so a value sealed for one purpose (say an access key secret) cannot
// be swapped into another column and opened there.
func (k *Key) Seal(plaintext []byte, purpose string) []byte {
	nonce := make([]byte, k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	out := append([]byte{version}, nonce...)
	return k.aead.Seal(out, nonce, plaintext, []byte(purpose))
}

// ErrDecrypt is returned when a ciphertext is corrupt or sealed with another
// key or purpose.
var ErrDecrypt = errors.New("masterkey: cannot decrypt (wrong master key or corrupt value)")

// Open decrypts what Seal produced for the same purpose.
func (k *Key) Open(ciphertext []byte, purpose string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(ciphertext) < 1+n+k.aead.Overhead() || ciphertext[0] != version {
		return nil, ErrDecrypt
	}
	pt, err := k.aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], []byte(purpose))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// SealString is Seal for text, encoded as base64 for text columns.
func (k *Key) SealString(plaintext, purpose string) string {
	return base64.RawStdEncoding.EncodeToString(k.Seal([]byte(plaintext), purpose))
}

// OpenString reverses SealString.
func (k *Key) OpenString(sealed, purpose string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", ErrDecrypt
	}
	pt, err := k.Open(raw, purpose)
	return string(pt), err
}

// BlindIndex returns a keyed hash of value for purpose: equal inputs give
// equal outputs, so uniqueness of an encrypted value can be enforced by the
// database without the value in clear.
func (k *Key) BlindIndex(value, purpose string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return "h:" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
