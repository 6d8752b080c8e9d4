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
