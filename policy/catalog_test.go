package policy

import "testing"

// TestOrder checks that a role's order is its position in the catalog, the
// number members sort and are filtered by, and that a name the catalog
// lacks has a position no role has.
func TestOrder(t *testing.T) {
	for _, name := range []string{"bizmetry", "bigeye"} {
		c, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range c.Roles {
			if got := c.Order(r.Name); got != i {
				t.Errorf("%s: Order(%q) = %d, want %d", name, r.Name, got, i)
			}
		}
		if got := c.Order("No Such Role"); got != len(c.Roles) {
			t.Errorf("%s: Order of an unknown role = %d, want %d", name, got, len(c.Roles))
		}
	}
}
