package password

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// cheap keeps the tests quick; the format and comparison do not depend on cost.
var cheap = Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not in PHC argon2id form", enc)
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery", true},
		{"correct horse batter", false},
		{"correct horse battery ", false},
		{"", false},
	} {
		got, err := h.Verify(ctx, tc.password, enc)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Verify(%q) = %v, want %v", tc.password, got, tc.want)
		}
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyMalformedNeverMatches(t *testing.T) {
	h := NewHasher(cheap, 1)
	for _, enc := range []string{"", "$argon2id$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5", "plain"} {
		ok, err := h.Verify(context.Background(), "", enc)
		if ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", enc, ok, err)
		}
	}
}

func TestNotTruncated(t *testing.T) {
	// bcrypt silently ignores bytes past 72; argon2id must not.
	h := NewHasher(cheap, 1)
	long := strings.Repeat("a", 100)
	enc, _ := h.Hash(context.Background(), long+"X")
	if ok, _ := h.Verify(context.Background(), long+"Y", enc); ok {
		t.Error("passwords differing after 100 characters compare equal")
	}
}

func TestDefaultParamsAreOWASP(t *testing.T) {
	h := NewHasher(DefaultParams, 1)
	enc, _ := h.Hash(context.Background(), "some long password")
	if !strings.Contains(enc, "$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not use 19 MiB, 2 passes, 1 lane", enc)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"short", false},
		{"123456789", false},
		{"qwertyuiop", false}, // on the common list
		{"QWERTYUIOP", false}, // the list is case-insensitive
		{"1234567890", false},
		{"ok@example.com", false}, // the email itself
		{"tangerine-robot-42", true},
		{strings.Repeat("x", MaxLength), true},
		{strings.Repeat("x", MaxLength+1), false},
		{"\xff\xfe invalid utf8 bytes", false},
	} {
		err := Validate("password", tc.password, "ok@example.com")
		if got := err == nil; got != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.password, err, tc.ok)
		}
		if err != nil && roster.ErrorCode(err) != roster.CodeInvalidInput {
			t.Errorf("Validate(%q) code = %q, want invalid_input", tc.password, roster.ErrorCode(err))
		}
	}
}

// Derivations counts every key derived, so that callers can prove a code
// path pays for a hash (an unknown email at login, say).
func TestDerivationsCounted(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 1)
	step := func(name string, want uint64, fn func()) {
		t.Helper()
		before := h.Derivations()
		fn()
		if got := h.Derivations() - before; got != want {
			t.Errorf("%s derived %d keys, want %d", name, got, want)
		}
	}
	var enc string
	step("Hash", 1, func() { enc, _ = h.Hash(ctx, "correct horse battery") })
	step("Verify, right password", 1, func() { h.Verify(ctx, "correct horse battery", enc) })
	step("Verify, wrong password", 1, func() { h.Verify(ctx, "wrong horse battery", enc) })
	// The dummy hash is made with the Hasher: even the first use costs one,
	// like every other comparison.
	step("first VerifyDummy", 1, func() { h.VerifyDummy(ctx, "anything at all") })
	step("VerifyDummy", 1, func() { h.VerifyDummy(ctx, "anything at all") })
	step("Verify, no hash", 1, func() { h.Verify(ctx, "anything at all", "") })
	step("Verify, malformed hash", 1, func() { h.Verify(ctx, "anything at all", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5") })
	step("Validate", 0, func() { Validate("password", "tangerine-robot-42", "") })

	// A cancelled context derives nothing and says so.
	full := NewHasher(cheap, 1)
	full.slots <- struct{}{} // every slot taken
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := full.Hash(cancelled, "correct horse battery"); err == nil {
		t.Error("Hash with a cancelled context and no free slot returned no error")
	}
	if got := full.Derivations(); got != 1 { // the dummy, made by NewHasher
		t.Errorf("a refused Hash was counted: %d", got)
	}
}

// SPEC §4: never truncated. Every length up to MaxLength counts every
// character, including past bcrypt's 72 bytes and past 100 characters.
func TestNotTruncatedAtAnyLength(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 1)
	base := strings.Repeat("correct horse battery staple ", 10)
	for _, n := range []int{MinLength, 72, 73, 100, 101, 128, MaxLength} {
		pass := base[:n-1] + "A"
		enc, err := h.Hash(ctx, pass)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := h.Verify(ctx, pass, enc); !ok {
			t.Errorf("%d characters: the password does not match itself", n)
		}
		for _, other := range []string{base[:n-1] + "B", base[:n-1], pass + "A", "B" + pass[1:]} {
			if ok, _ := h.Verify(ctx, other, enc); ok {
				t.Errorf("%d characters: %q matches a hash of %q", n, other, pass)
			}
		}
	}
}

// SPEC §4 counts characters, not bytes: ten characters of two bytes each
// are enough, nine are not, and a password of more than MaxLength
// characters is refused rather than cut.
func TestValidateCountsCharacters(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		ok       bool
	}{
		{"9 ASCII characters", "abcdefgh9", false},
		{"10 ASCII characters", "abcdefgh10", true},
		{"9 two-byte characters (18 bytes)", strings.Repeat("ä", 9), false},
		{"10 two-byte characters", strings.Repeat("ä", 10), true},
		{"9 four-byte characters (36 bytes)", strings.Repeat("🔑", 9), false},
		{"MaxLength two-byte characters", strings.Repeat("ä", MaxLength), true},
		{"MaxLength+1 two-byte characters", strings.Repeat("ä", MaxLength+1), false},
		{"common, with other letter case", "PassWord123", false},
	} {
		err := Validate("password", tc.password, "")
		if got := err == nil; got != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && roster.ErrorCode(err) != roster.CodeInvalidInput {
			t.Errorf("%s: code = %q, want invalid_input", tc.name, roster.ErrorCode(err))
		}
	}
}
