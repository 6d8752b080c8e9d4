// Package password hashes and checks passwords with argon2id (SPEC §4) and
// holds the password policy.
package password

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/rosterhq/roster"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
}

// DefaultParams are OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Passes: 2, Lanes: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinLength and MaxLength bound a password, in characters. Passwords are
	// never truncated: a longer one is refused, not cut.
	MinLength = 10
	MaxLength = 256
)

// Hasher hashes passwords, at most a fixed number at once, so that a burst
// of logins cannot exhaust memory (each hash holds MemoryKiB).
type Hasher struct {
	params Params
	slots  chan struct{}
	// dummy is a hash of a random password, compared against when the user
	// does not exist so that the answer takes as long as a real comparison.
	dummy func() string
	// derivations counts the argon2id keys derived so far; see Derivations.
	derivations atomic.Uint64
	// waiting counts the derivations waiting for a slot.
	waiting atomic.Int64
}

// waitingPerSlot bounds the derivations that wait for a slot, per slot:
// past it a sign-in is refused at once rather than queued. Unbounded, a
// thousand wrong passwords sent at once from ten addresses kept everyone
// else's sign-in waiting 14 seconds; this keeps the wait to a second or so.
const waitingPerSlot = 16

// ErrBusy refuses a hash when too many wait for one.
var ErrBusy = roster.Errorf(roster.CodeRateLimited, "Too many sign-ins are being checked at this moment; try again in a minute.")

// NewHasher returns a Hasher that runs at most concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	h := &Hasher{params: p, slots: make(chan struct{}, concurrent)}
	h.dummy = sync.OnceValue(func() string {
		b := make([]byte, 24)
		rand.Read(b)
		enc, _ := h.hash(context.Background(), base64.RawStdEncoding.EncodeToString(b))
		return enc
	})
	// Made now, not at the first unknown email: that login would otherwise
	// pay for two hashes and stand out by its timing.
	h.dummy()
	return h
}

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	return h.hash(ctx, password)
}

func (h *Hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Passes, h.params.Lanes,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	default:
		if h.waiting.Add(1) > int64(waitingPerSlot*cap(h.slots)) {
			h.waiting.Add(-1)
			return nil, ErrBusy
		}
		defer h.waiting.Add(-1)
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-h.slots }()
	h.derivations.Add(1)
	return argon2.IDKey([]byte(password), salt, p.Passes, p.MemoryKiB, p.Lanes, keyLen), nil
}

// Derivations returns how many argon2id keys the Hasher has derived: one
// for each Hash, Verify and VerifyDummy, plus one for the dummy hash,
// which NewHasher makes at once. It exists so that tests can prove
// that every failed login, an unknown email's included, pays for a hash.
func (h *Hasher) Derivations() uint64 { return h.derivations.Load() }

// Verify reports whether password matches the encoded hash, comparing in
// constant time. An empty or malformed hash never matches, but still costs a
// full comparison.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		// Unknown users, users without a password, and corrupt hashes all
		// pay for one hash so that timing does not tell them apart.
		return false, h.VerifyDummy(ctx, password)
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends as long as Verify does on a real hash, and returns only
// a context error or ErrBusy.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	p, salt, _, err := decode(h.dummy())
	if err != nil {
		return err
	}
	_, err = h.derive(ctx, password, salt, p)
	return err
}

var errMalformed = errors.New("malformed password hash")

func decode(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errMalformed
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Lanes); err != nil {
		return p, nil, nil, errMalformed
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > 1<<20 || p.Passes == 0 || p.Passes > 20 || p.Lanes == 0 {
		return p, nil, nil, errMalformed
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errMalformed
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) != keyLen {
		return p, nil, nil, errMalformed
	}
	return p, salt, key, nil
}

//go:embed common.txt
var commonList string

// common is the set of shipped common passwords, lowercased.
var common = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 1024)
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
})

// Validate applies the password policy of SPEC §4: at least MinLength
// characters, at most MaxLength, and not on the shipped list of common
// passwords. It returns invalid_input naming field.
func Validate(field, password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return roster.Invalid(field, "The password is not valid text.")
	case n < MinLength:
		return roster.Invalid(field, "The password must be at least %d characters long.", MinLength)
	case n > MaxLength:
		return roster.Invalid(field, "The password must be at most %d characters long.", MaxLength)
	case common()[strings.ToLower(password)]:
		return roster.Invalid(field, "This password is on a list of commonly used passwords; choose another.")
	case email != "" && strings.EqualFold(password, email):
		return roster.Invalid(field, "The password must not be your email address.")
	}
	return nil
}
