package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		raw, hash := NewToken("rst_")
		if !strings.HasPrefix(raw, "rst_") || !LooksLikeToken("rst_", raw) {
			t.Fatalf("token %q does not look like one of ours", raw)
		}
		sum := sha256.Sum256([]byte(raw))
		if hash != hex.EncodeToString(sum[:]) || Hash(raw) != hash {
			t.Fatalf("hash %q is not the SHA-256 of the token", hash)
		}
		if seen[raw] {
			t.Fatal("a token repeated")
		}
		seen[raw] = true
	}
}

func TestLooksLikeToken(t *testing.T) {
	raw, _ := NewToken("rsi_")
	for _, s := range []string{"", "rsi_", raw[:len(raw)-1], raw + "x", "rst_" + raw[4:], strings.Replace(raw, raw[5:6], "!", 1)} {
		if LooksLikeToken("rsi_", s) {
			t.Errorf("LooksLikeToken(%q) = true", s)
		}
	}
}

// TestNewID checks that ids are unique, of one shape, and that an id made
// in a later millisecond sorts after one made earlier, as the stores'
// indexes by user id rely on for bulk invitations.
func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	prev := NewID("usr_")
	for range 20 {
		time.Sleep(2 * time.Millisecond)
		id := NewID("usr_")
		if !strings.HasPrefix(id, "usr_") || len(id) != 4+26 || strings.Trim(id[4:], "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("NewID = %q, want usr_ and 26 characters of lowercase base32", id)
		}
		if id <= prev {
			t.Errorf("%q, made later, sorts before %q", id, prev)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
		prev = id
	}
	// Ids of one millisecond differ by their 80 random bits.
	for range 1000 {
		id := NewID("x_")
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}
