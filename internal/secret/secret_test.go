package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
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

func TestNewID(t *testing.T) {
	a, b := NewID("usr_"), NewID("usr_")
	if a == b || !strings.HasPrefix(a, "usr_") || len(a) != 4+16 {
		t.Errorf("NewID = %q, %q", a, b)
	}
}
