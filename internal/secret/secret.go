// Package secret makes the random values Roster hands out (ids, tokens) and
// the SHA-256 digests under which tokens are stored.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// idEncoding is lowercase base32 whose alphabet is in ASCII order
// (Crockford's), so that encoded ids sort as their bytes do.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 26 characters of lowercase base32: the
// time in milliseconds (48 bits) and 80 random bits. An id made in a later
// millisecond sorts after one made earlier (within a millisecond the order
// is random), so that a database adds a bulk's new users next to each
// other in the indexes keyed by user id instead of at random places all
// over them, which in a large account costs a page read and write per row.
// (Ids of the earlier form, 16 letters and digits 2-7, sort after all of
// these.)
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:]) // never returns an error (crypto/rand, Go ≥ 1.24)
	return prefix + idEncoding.EncodeToString(b[:])
}

// NewToken returns a fresh token of 256 random bits, prefixed so that secret
// scanners can recognise it, and the digest to store in its place.
func NewToken(prefix string) (raw, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	raw = prefix + base64.RawURLEncoding.EncodeToString(b)
	return raw, Hash(raw)
}

// Hash returns the hex SHA-256 of a token: the only form in which tokens are
// stored. Looking a token up by its digest compares digests, not secrets, so
// the lookup's timing reveals nothing usable about the token.
func Hash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s could be a token this package made with
// prefix, so that garbage is refused before it reaches the store.
func LooksLikeToken(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}
