package policy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/policy"
)

// baseCatalog is the valid file the rejection cases edit. Its line numbers
// are the ones the cases expect:
//
//	1 name            5 Owner        9 Admin         12 Member
//	2 owner_fallback  6   rank 3    10   rank 2      13   rank 1
//	3 default_role    7   description               14   permissions
//	4 roles           8   permissions 11 permissions
const baseCatalog = `name: custom
owner_fallback: Admin
default_role: Member
roles:
  - name: Owner
    rank: 3
    description: Runs everything.
    permissions: [members.read, members.edit, audit.read, ownership.transfer, reports.read]
  - name: Admin
    rank: 2
    permissions: [members.read, members.edit, reports.read]
  - name: Member
    rank: 1
    permissions: [reports.read]
`

// editLines replaces lines from..to (1-based, inclusive) of text with repl.
func editLines(text string, from, to int, repl string) string {
	lines := strings.Split(text, "\n")
	out := slices.Concat(lines[:from-1], []string{repl}, lines[to:])
	return strings.Join(out, "\n")
}

// edit replaces one line of baseCatalog.
func edit(line int, repl string) string { return editLines(baseCatalog, line, line, repl) }

func TestParseBaseCatalog(t *testing.T) {
	c, err := policy.Parse("custom.yaml", []byte(baseCatalog))
	if err != nil {
		t.Fatalf("Parse(baseCatalog) = %v", err)
	}
	if c.Owner != "Owner" || c.Fallback != "Admin" || c.DefaultRole != "Member" {
		t.Errorf("Owner, Fallback, DefaultRole = %q, %q, %q; want Owner, Admin, Member", c.Owner, c.Fallback, c.DefaultRole)
	}
}

func TestParseRejects(t *testing.T) {
	manyRoles := "name: custom\nowner_fallback: R1\nroles:\n" + strings.Repeat("  - {name: R, rank: 1, permissions: []}\n", 101)
	manyPerms := make([]string, 501)
	for i := range manyPerms {
		manyPerms[i] = fmt.Sprintf("p.n%d", i)
	}
	tests := []struct {
		name string
		file string
		// wantLine is the line of the first problem; 0 for the file as a whole.
		wantLine int
		// wantField is a word the first problem must name.
		wantField string
	}{
		{"empty file", "", 0, "empty"},
		{"comments only", "# nothing here\n", 0, "empty"},
		{"too large", baseCatalog + "# " + strings.Repeat("x", 1<<20) + "\n", 0, "1 MiB"},
		// Syntax errors are placed where the YAML parser places them: at the
		// start of the construct it could not finish.
		{"not YAML", edit(10, "    rank: [2"), 9, "YAML"},
		{"second document", baseCatalog + "---\nname: other\n", 15, "document"},
		{"root is a list", "- name: custom\n", 1, "mapping"},
		{"root is text", "custom\n", 1, "mapping"},
		{"unknown field", edit(3, "colour: blue"), 3, "colour"},
		{"field twice", edit(3, "name: again"), 3, "name"},
		{"name missing", edit(1, "# no name"), 2, "name"},
		{"name not a slug", edit(1, "name: Custom Catalog"), 1, "name"},
		{"name too long", edit(1, "name: "+strings.Repeat("a", 64)), 1, "name"},
		{"name a list", edit(1, "name: [custom]"), 1, "name"},
		{"roles missing", editLines(baseCatalog, 4, 14, ""), 1, "roles"},
		{"roles empty", editLines(baseCatalog, 4, 14, "roles: []"), 4, "roles"},
		{"roles text", editLines(baseCatalog, 4, 14, "roles: Owner"), 4, "roles"},
		{"too many roles", manyRoles, 3, "roles"},
		{"role not a mapping", editLines(baseCatalog, 12, 14, "  - Member"), 12, "role 3"},
		{"role key not text", edit(7, "    [a]: b"), 7, "key"},
		{"unknown role field", edit(7, "    colour: blue"), 7, "colour"},
		{"role field twice", edit(7, "    rank: 3"), 7, "rank"},
		{"role name missing", editLines(baseCatalog, 12, 13, "  - rank: 1"), 12, "name"},
		{"role name empty", edit(12, `  - name: ""`), 12, "name"},
		{"role name too long", edit(12, "  - name: "+strings.Repeat("M", 65)), 12, "name"},
		{"role name control character", edit(12, `  - name: "Mem\tber"`), 12, "name"},
		{"role name invisible character", edit(12, `  - name: "Mem\u200Bber"`), 12, "name"},
		{"role name padded", edit(12, `  - name: " Member"`), 12, "name"},
		{"role name a number", edit(12, "  - name: 7"), 12, "name"},
		{"role listed twice", edit(12, "  - name: Admin"), 12, `"Admin" is listed twice (first at line 9)`},
		{"rank missing", edit(13, ""), 12, "rank"},
		{"rank zero", edit(13, "    rank: 0"), 13, "rank"},
		{"rank negative", edit(13, "    rank: -1"), 13, "rank"},
		{"rank text", edit(13, "    rank: low"), 13, "rank"},
		{"rank quoted", edit(13, `    rank: "1"`), 13, "rank"},
		{"rank fraction", edit(13, "    rank: 1.5"), 13, "rank"},
		{"rank huge", edit(13, "    rank: 99999999999999999999999"), 13, "rank"},
		{"rank above the limit", edit(13, "    rank: 1001"), 13, "rank"},
		{"rank a list", editLines(baseCatalog, 13, 13, "    rank:\n      - 1"), 13, "rank"},
		{"description too long", edit(7, "    description: "+strings.Repeat("d", 501)), 7, "description"},
		{"description a list", edit(7, "    description: [a]"), 7, "description"},
		{"description with NUL", edit(7, `    description: "a\0b"`), 7, "description"},
		{"description with a control character", edit(7, `    description: "a\x1bb"`), 7, "description"},
		{"permissions missing", edit(14, ""), 12, "permissions"},
		{"permissions text", edit(14, "    permissions: reports.read"), 14, "permissions"},
		{"permissions a mapping", editLines(baseCatalog, 14, 14, "    permissions:\n      reports: read"), 14, "permissions"},
		{"too many permissions", edit(14, "    permissions: ["+strings.Join(manyPerms, ", ")+"]"), 14, "permissions"},
		{"permission upper case", edit(14, "    permissions: [Reports.Read]"), 14, "permission"},
		{"permission one word", edit(14, "    permissions: [reports]"), 14, "permission"},
		{"permission empty word", edit(14, "    permissions: [reports..read]"), 14, "permission"},
		{"permission starts with a digit", edit(14, "    permissions: [reports.2read]"), 14, "permission"},
		{"permission with a dash", edit(14, "    permissions: [reports.read-all]"), 14, "permission"},
		{"permission too long", edit(14, "    permissions: [reports."+strings.Repeat("r", 130)+"]"), 14, "permission"},
		{"permission a number", edit(14, "    permissions: [42]"), 14, "permission"},
		{"permission listed twice", editLines(baseCatalog, 14, 14, "    permissions:\n      - reports.read\n      - reports.read"), 16, "first at line 15"},
		{"alias", editLines(editLines(baseCatalog, 11, 11, "    permissions: &admin [members.read, members.edit, reports.read]"), 14, 14, "    permissions: *admin"), 14, "alias"},
		{"no owner", edit(8, "    permissions: [members.read, members.edit, audit.read, reports.read]"), 4, "ownership.transfer"},
		{"two owners", edit(11, "    permissions: [members.read, members.edit, reports.read, ownership.transfer]"), 11, "ownership.transfer"},
		{"owner shares the highest rank", edit(10, "    rank: 3"), 10, "rank"},
		{"owner below another role", edit(6, "    rank: 1"), 10, "rank"},
		{"role without members permissions above the lowest rank", edit(11, "    permissions: [reports.read]"), 10, "members.*"},
		{"owner lacks a permission", edit(14, "    permissions: [reports.read, reports.export]"), 14, "reports.export"},
		{"owner_fallback missing", edit(2, ""), 1, "owner_fallback"},
		{"owner_fallback empty", edit(2, `owner_fallback: ""`), 2, "owner_fallback"},
		{"owner_fallback null", edit(2, "owner_fallback:"), 2, "owner_fallback"},
		{"owner_fallback unknown", edit(2, "owner_fallback: Boss"), 2, "owner_fallback"},
		{"owner_fallback is the owner", edit(2, "owner_fallback: Owner"), 2, "owner_fallback"},
		{"owner_fallback a list", edit(2, "owner_fallback: [Admin]"), 2, "owner_fallback"},
		{"default_role unknown", edit(3, "default_role: Guest"), 3, "default_role"},
		{"default_role is the owner", edit(3, "default_role: Owner"), 3, "default_role"},
		{"default_role a number", edit(3, "default_role: 1"), 3, "default_role"},
		{"JSON", "{\n  \"name\": \"custom\",\n  \"owner_fallback\": \"Admin\",\n  \"roles\": [\n" +
			"    {\"name\": \"Owner\", \"rank\": 2, \"permissions\": [\"members.read\", \"ownership.transfer\"]},\n" +
			"    {\"name\": \"Admin\", \"rank\": 0, \"permissions\": [\"members.read\"]}\n  ]\n}\n", 6, "rank"},
		{"JSON not closed", "{\n  \"name\": \"custom\",\n  \"roles\": [\n", 3, "YAML or JSON"},
		// The problems are reported in the order of the file, whatever the
		// order they are found in.
		{"first problem first", editLines(edit(13, "    rank: 0"), 2, 2, `owner_fallback: ""`), 2, "owner_fallback"},
		{"first problem first, across roles", editLines(edit(14, "    permissions: [reports.read, reports.export]"), 3, 3, "default_role: Guest"), 3, "default_role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := policy.Parse("custom.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("Parse() = catalog %q, nil; want an error at line %d", c.Name, tt.wantLine)
			}
			if c != nil {
				t.Errorf("Parse() returned a catalog with its error %v", err)
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() error %v (%T) holds no *policy.ParseError", err, err)
			}
			if pe.File != "custom.yaml" || pe.Line != tt.wantLine {
				t.Errorf("first problem at %s:%d, want custom.yaml:%d (error: %v)", pe.File, pe.Line, tt.wantLine, err)
			}
			if !strings.Contains(pe.Msg, tt.wantField) {
				t.Errorf("first problem %q does not name %q", pe.Msg, tt.wantField)
			}
			checkErrorLines(t, err, "custom.yaml")
		})
	}
}

// checkErrorLines checks that every line of a Parse error is one problem,
// "FILE:LINE: what" or "FILE: what", in the order of the file.
func checkErrorLines(t *testing.T, err error, file string) {
	t.Helper()
	last := 0
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, file+":")
		if !ok {
			t.Errorf("error line %q does not start with %q", line, file+":")
			continue
		}
		var n int
		if _, scanErr := fmt.Sscanf(rest, "%d:", &n); scanErr != nil {
			if !strings.HasPrefix(rest, " ") {
				t.Errorf("error line %q has neither a line number nor a message after the file name", line)
			}
			continue
		}
		if n < last {
			t.Errorf("error line %q comes after a problem at line %d", line, last)
		}
		last = n
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	file := editLines(editLines(baseCatalog, 13, 13, "    rank: 0"), 1, 3, "name: Custom\nowner_fallback: \"\"\ncolour: blue")
	_, err := policy.Parse("custom.yaml", []byte(file))
	var lines []int
	for _, e := range errorsOf(err) {
		var pe *policy.ParseError
		if errors.As(e, &pe) {
			lines = append(lines, pe.Line)
		}
	}
	if want := []int{1, 2, 3, 13}; !slices.Equal(lines, want) {
		t.Errorf("problems at lines %v, want %v (error: %v)", lines, want, err)
	}
}

// errorsOf returns the errors joined in err, or err alone.
func errorsOf(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		wantDefault string
	}{
		{"default_role missing", edit(3, ""), ""},
		{"default_role null", edit(3, "default_role:"), ""},
		{"default_role empty", edit(3, `default_role: ""`), ""},
		{"description missing", edit(7, ""), "Member"},
		{"permissions null", edit(14, "    permissions:"), "Member"},
		{"permissions empty", edit(14, "    permissions: []"), "Member"},
		{"roles in any order", editLines(baseCatalog, 5, 14, "  - {name: Member, rank: 1, permissions: [reports.read]}\n"+
			"  - {name: Owner, rank: 30, permissions: [members.read, ownership.transfer, reports.read]}\n"+
			"  - {name: Admin, rank: 20, permissions: [members.read]}"), "Member"},
		{"byte order mark", "\ufeff" + baseCatalog, "Member"},
		{"document marker", "---\n" + baseCatalog + "...\n", "Member"},
		{"explicit string tag", editLines(editLines(baseCatalog, 12, 12, "  - name: !!str 7"), 3, 3, `default_role: "7"`), "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := policy.Parse("custom.yaml", []byte(tt.file))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if c.DefaultRole != tt.wantDefault {
				t.Errorf("DefaultRole = %q, want %q", c.DefaultRole, tt.wantDefault)
			}
			if c.Owner != "Owner" {
				t.Errorf("Owner = %q, want Owner", c.Owner)
			}
			checkRoundTrip(t, c)
		})
	}
}

// fileView is a catalog's exported content, for comparing two catalogs.
type fileView struct {
	Name, Owner, Fallback, DefaultRole string
	Roles                              []roleView
}

type roleView struct {
	Name, Description string
	Rank              int
	Permissions       []string
}

func viewOf(c *policy.Catalog) fileView {
	v := fileView{Name: c.Name, Owner: c.Owner, Fallback: c.Fallback, DefaultRole: c.DefaultRole}
	for _, r := range c.Roles {
		v.Roles = append(v.Roles, roleView{r.Name, r.Description, r.Rank, slices.Clone(r.Permissions)})
	}
	return v
}

// checkRoundTrip checks that MarshalFile writes JSON that Parse reads back
// into the same catalog, granting the same permissions.
func checkRoundTrip(t testing.TB, c *policy.Catalog) {
	t.Helper()
	data, err := c.MarshalFile()
	if err != nil {
		t.Fatalf("MarshalFile() = %v", err)
	}
	if !json.Valid(data) {
		t.Fatalf("MarshalFile() wrote invalid JSON:\n%s", data)
	}
	back, err := policy.Parse("stored.json", data)
	if err != nil {
		t.Fatalf("Parse(MarshalFile()) = %v\n%s", err, data)
	}
	if got, want := viewOf(back), viewOf(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(MarshalFile()) = %+v, want %+v", got, want)
	}
	if got, want := back.AllPermissions(), c.AllPermissions(); !slices.Equal(got, want) {
		t.Errorf("AllPermissions after a round trip = %v, want %v", got, want)
	}
	for _, r := range c.Roles {
		for _, p := range c.AllPermissions() {
			if got, want := back.Grants(r.Name, p), c.Grants(r.Name, p); got != want {
				t.Errorf("after a round trip Grants(%q, %q) = %t, want %t", r.Name, p, got, want)
			}
		}
	}
}

func TestParseYAMLAndJSONAgree(t *testing.T) {
	yamlFile, err := os.ReadFile(filepath.Join("testdata", "custom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	jsonFile, err := os.ReadFile(filepath.Join("testdata", "custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := policy.Parse("custom.yaml", yamlFile)
	if err != nil {
		t.Fatalf("Parse(custom.yaml) = %v", err)
	}
	fromJSON, err := policy.Parse("custom.json", jsonFile)
	if err != nil {
		t.Fatalf("Parse(custom.json) = %v", err)
	}
	if got, want := viewOf(fromJSON), viewOf(fromYAML); !reflect.DeepEqual(got, want) {
		t.Errorf("custom.json = %+v\ncustom.yaml = %+v", got, want)
	}
	want := fileView{
		Name: "acme", Owner: "Owner", Fallback: "Admin", DefaultRole: "Member",
		Roles: []roleView{
			{"Owner", "Runs the account, including who owns it.", 3, []string{"members.read", "members.invite", "members.edit", "members.disable", "members.remove", "audit.read", "ownership.transfer", "reports.read", "reports.export"}},
			{"Admin", "Manages people and reports.", 2, []string{"members.read", "members.invite", "members.edit", "members.disable", "members.remove", "audit.read", "reports.read", "reports.export"}},
			{"Member", "Reads reports.\nNothing else.\n", 1, []string{"reports.read"}},
			{"Guest", "", 1, []string{}},
		},
	}
	if got := viewOf(fromYAML); !reflect.DeepEqual(got, want) {
		t.Errorf("custom.yaml = %+v\nwant %+v", got, want)
	}
	checkRoundTrip(t, fromYAML)
}

// JSON encoders other than Go's write "\/" and surrogate pairs, which the
// YAML parser alone refuses.
func TestParseJSONEscapes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "escaped.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := policy.Parse("escaped.json", data)
	if err != nil {
		t.Fatalf("Parse(escaped.json) = %v", err)
	}
	owner, _ := c.Role("Owner")
	if want := "Owns it all — even the 😀 and A/B tests."; owner.Description != want {
		t.Errorf("Owner description = %q, want %q", owner.Description, want)
	}
	checkRoundTrip(t, c)
}

func TestBuiltinNames(t *testing.T) {
	if got, want := policy.BuiltinNames(), []string{"bigeye", "bizmetry"}; !slices.Equal(got, want) {
		t.Errorf("BuiltinNames() = %v, want %v", got, want)
	}
	for _, name := range policy.BuiltinNames() {
		c, err := policy.Builtin(name)
		if err != nil {
			t.Fatalf("Builtin(%q) = %v", name, err)
		}
		if c.Name != name {
			t.Errorf("Builtin(%q).Name = %q", name, c.Name)
		}
		again, _ := policy.Builtin(name)
		if again != c {
			t.Errorf("Builtin(%q) parsed the catalog again; want the one shared value", name)
		}
		checkRoundTrip(t, c)
	}
	if _, err := policy.Builtin("unknown"); err == nil {
		t.Error(`Builtin("unknown") = nil error`)
	}
}

// builtinForTest returns a built-in catalog or stops the test.
func builtinForTest(t *testing.T, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatalf("Builtin(%q) = %v", name, err)
	}
	return c
}

// permissionsOf returns a role's permissions, sorted.
func permissionsOf(t *testing.T, c *policy.Catalog, role string) []string {
	t.Helper()
	r, ok := c.Role(role)
	if !ok {
		t.Fatalf("catalog %s has no role %q", c.Name, role)
	}
	return slices.Sorted(slices.Values(r.Permissions))
}

func ranksOf(c *policy.Catalog) map[string]int {
	out := make(map[string]int)
	for _, r := range c.Roles {
		out[r.Name] = r.Rank
	}
	return out
}

// TestBuiltinBizMetry checks the catalog against SPEC §2 and the seed.
func TestBuiltinBizMetry(t *testing.T) {
	c := builtinForTest(t, "bizmetry")
	wantRanks := map[string]int{
		"Organization Owner": 3, "Organization Manager": 2, "Architect": 1, "Developer": 1,
		"DevOps": 1, "SRE": 1, "Telemetry Operator": 1, "Business Administrator": 1,
		"Monitoring User": 1, "Quality Assurance": 1,
	}
	if got := ranksOf(c); !reflect.DeepEqual(got, wantRanks) {
		t.Errorf("roles and ranks = %v, want %v", got, wantRanks)
	}
	if c.Roles[0].Name != "Organization Owner" {
		t.Errorf("first role = %q, want the most powerful, Organization Owner", c.Roles[0].Name)
	}
	if c.Owner != "Organization Owner" || c.Fallback != "Organization Manager" || c.DefaultRole != "" {
		t.Errorf("Owner, Fallback, DefaultRole = %q, %q, %q; want Organization Owner, Organization Manager and none", c.Owner, c.Fallback, c.DefaultRole)
	}
	// "Administrator Access Required": only the two administrator roles see
	// user management at all.
	for _, r := range c.Roles {
		admin := r.Name == "Organization Owner" || r.Name == "Organization Manager"
		for _, p := range r.Permissions {
			if strings.HasPrefix(p, "members.") && !admin {
				t.Errorf("%s holds %s; only Organization Owner and Organization Manager may manage users", r.Name, p)
			}
		}
		for _, p := range []string{policy.PermMembersRead, policy.PermMembersInvite, policy.PermMembersEdit, policy.PermMembersDisable, policy.PermMembersRemove, policy.PermAuditRead} {
			if got := c.Grants(r.Name, p); got != admin {
				t.Errorf("Grants(%q, %q) = %t, want %t", r.Name, p, got, admin)
			}
		}
		if got, want := c.Grants(r.Name, policy.PermOwnershipTransfer), r.Name == c.Owner; got != want {
			t.Errorf("Grants(%q, ownership.transfer) = %t, want %t", r.Name, got, want)
		}
		if r.Description == "" {
			t.Errorf("%s has no description", r.Name)
		}
	}
	checkOwnerHoldsAll(t, c)

	// Every sentence of the seed's role table, as the permissions that say it.
	tests := []struct {
		role    string
		granted []string
		refused []string
	}{
		{"Organization Owner", []string{"billing.manage", "billing.read", "profiles.manage", "templates.manage"}, nil},
		{"Organization Manager", []string{"profiles.configure", "templates.manage", "members.invite"}, []string{"billing.manage", "billing.read", "ownership.transfer"}},
		{"Architect", []string{"templates.manage", "templates.read", "profiles.configure", "profiles.read"}, []string{"billing.read", "agents.deploy"}},
		{"Developer", []string{"agents.configure", "datasources.configure", "instrumentation.configure", "templates.read"}, []string{"templates.manage", "profiles.configure"}},
		{"DevOps", []string{"agents.deploy", "agents.restart", "agents.monitor"}, []string{"templates.manage", "profiles.configure", "profiles.manage"}},
		{"SRE", []string{"slas.monitor", "logs.read", "agents.operate"}, []string{"templates.manage", "billing.read"}},
		{"Telemetry Operator", []string{"dashboards.monitoring.read", "telemetry.read"}, []string{"telemetry.validate", "agents.configure"}},
		{"Business Administrator", []string{"dashboards.analytics.read", "reports.kpi.read"}, []string{"agents.configure", "datasources.configure", "instrumentation.configure", "templates.manage", "profiles.configure"}},
		{"Monitoring User", []string{"agents.status.read", "dashboards.system.read"}, []string{"agents.restart", "agents.configure"}},
		{"Quality Assurance", []string{"environments.qa.access", "telemetry.validate"}, []string{"agents.deploy"}},
	}
	for _, tt := range tests {
		for _, p := range tt.granted {
			if !c.Grants(tt.role, p) {
				t.Errorf("%s does not hold %s", tt.role, p)
			}
		}
		for _, p := range tt.refused {
			if c.Grants(tt.role, p) {
				t.Errorf("%s holds %s", tt.role, p)
			}
		}
	}
	// The manager holds everything but billing and ownership.
	var wantManager []string
	for _, p := range permissionsOf(t, c, "Organization Owner") {
		if !strings.HasPrefix(p, "billing.") && p != policy.PermOwnershipTransfer {
			wantManager = append(wantManager, p)
		}
	}
	if got := permissionsOf(t, c, "Organization Manager"); !slices.Equal(got, wantManager) {
		t.Errorf("Organization Manager holds %v, want %v", got, wantManager)
	}
}

// TestBuiltinBigeye checks the catalog against SPEC §2 and the seed.
func TestBuiltinBigeye(t *testing.T) {
	c := builtinForTest(t, "bigeye")
	if got, want := ranksOf(c), map[string]int{"Owner": 3, "Admin": 2, "User": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("roles and ranks = %v, want %v", got, want)
	}
	if c.Owner != "Owner" || c.Fallback != "Admin" || c.DefaultRole != "User" {
		t.Errorf("Owner, Fallback, DefaultRole = %q, %q, %q; want Owner, Admin, User", c.Owner, c.Fallback, c.DefaultRole)
	}
	checkOwnerHoldsAll(t, c)

	wantUser := []string{"catalog.read", "collections.create", "deltas.create", "issues.read", "members.edit", "members.invite", "members.read", "notifications.slack.create"}
	if got := permissionsOf(t, c, "User"); !slices.Equal(got, wantUser) {
		t.Errorf("User holds %v, want %v", got, wantUser)
	}
	// Admins have all the owner's rights but managing owners and handing the
	// account over.
	var wantAdmin []string
	for _, p := range permissionsOf(t, c, "Owner") {
		if p != policy.PermOwnershipTransfer && p != "members.owners.manage" {
			wantAdmin = append(wantAdmin, p)
		}
	}
	if got := permissionsOf(t, c, "Admin"); !slices.Equal(got, wantAdmin) {
		t.Errorf("Admin holds %v, want %v", got, wantAdmin)
	}
	for _, p := range []string{"settings.account.manage", "settings.advanced.manage", "members.owners.manage", "issues.manage", "collections.manage", "catalog.manage", policy.PermMembersRemove, policy.PermMembersDisable, policy.PermAuditRead, policy.PermOwnershipTransfer} {
		if !c.Grants("Owner", p) {
			t.Errorf("Owner does not hold %s", p)
		}
	}
}

func checkOwnerHoldsAll(t *testing.T, c *policy.Catalog) {
	t.Helper()
	if got, want := permissionsOf(t, c, c.Owner), c.AllPermissions(); !slices.Equal(got, want) {
		t.Errorf("the owner role %s holds %v, want every permission of the catalog %v", c.Owner, got, want)
	}
}

// freshOwner is baseCatalog's owner line with every permission of Roster's
// own, as a catalog file for a new account must give it (newCatalogRules).
const freshOwner = "    permissions: [members.read, members.invite, members.edit, members.disable, members.remove, audit.read, ownership.transfer, reports.read]"

func TestLoad(t *testing.T) {
	custom := editLines(baseCatalog, 8, 8, freshOwner)
	files := map[string][]byte{
		"custom.yaml": []byte(custom),
		"broken.yaml": []byte(edit(13, "    rank: 0")),
	}
	readFile := func(path string) ([]byte, error) {
		data, ok := files[path]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		}
		return data, nil
	}

	for _, name := range policy.BuiltinNames() {
		got, err := policy.Load(name, nil)
		if err != nil {
			t.Fatalf("Load(%q, nil) = %v", name, err)
		}
		if want := builtinForTest(t, name); got != want {
			t.Errorf("Load(%q) is not the built-in catalog", name)
		}
	}

	c, err := policy.Load("custom.yaml", readFile)
	if err != nil {
		t.Fatalf("Load(custom.yaml) = %v", err)
	}
	if c.Name != "custom" {
		t.Errorf("Load(custom.yaml).Name = %q, want custom", c.Name)
	}

	_, err = policy.Load("broken.yaml", readFile)
	var pe *policy.ParseError
	if !errors.As(err, &pe) || pe.File != "broken.yaml" || pe.Line != 13 {
		t.Errorf("Load(broken.yaml) = %v, want a problem at broken.yaml:13", err)
	}

	if _, err := policy.Load("missing.yaml", readFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing.yaml) = %v, want an error wrapping fs.ErrNotExist", err)
	}
	if _, err := policy.Load("bigey", readFile); err == nil || !strings.Contains(err.Error(), "bizmetry") {
		t.Errorf(`Load("bigey") = %v, want an error listing the built-in catalogs`, err)
	}
	if _, err := policy.Load("", readFile); err == nil {
		t.Error(`Load("") = nil error`)
	}
	if _, err := policy.Load("custom.yaml", nil); err == nil {
		t.Error("Load(custom.yaml, nil) = nil error")
	}
}

func TestMarshalFileRefusesInvalidCatalog(t *testing.T) {
	if data, err := (&policy.Catalog{}).MarshalFile(); err == nil {
		t.Errorf("MarshalFile() of an empty catalog = %s, nil; want an error", data)
	}
	c, err := policy.Parse("custom.yaml", []byte(baseCatalog))
	if err != nil {
		t.Fatal(err)
	}
	c.Fallback = "Nobody"
	if data, err := c.MarshalFile(); err == nil {
		t.Errorf("MarshalFile() of a catalog whose fallback is no role = %s, nil; want an error", data)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(baseCatalog))
	for _, name := range []string{"custom.yaml", "custom.json", "escaped.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, name := range policy.BuiltinNames() {
		c, err := policy.Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		data, err := c.MarshalFile()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(edit(13, "    rank: 0")))
	f.Add([]byte("{\"name\": \"x\\/y\", \"roles\": [{\"name\": \"\\ud83d\\ude00\"}]}"))
	f.Add([]byte("a: &a [*a]\n"))
	// A catalog that gives no role some permission Roster reads.
	f.Add([]byte("name: small\nowner_fallback: Member\nroles:\n  - {name: Owner, rank: 2, permissions: [members.read, ownership.transfer]}\n  - {name: Member, rank: 1, permissions: [members.read]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := policy.Parse("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse() returned a catalog with its error %v", err)
			}
			checkErrorLines(t, err, "fuzz.yaml")
			return
		}
		if !c.HasRole(c.Owner) || !c.Grants(c.Owner, policy.PermOwnershipTransfer) {
			t.Fatalf("owner role %q does not hold ownership.transfer", c.Owner)
		}
		checkRoundTrip(t, c)
		// Whatever the catalog holds, every decision is an answer, not a
		// panic, and a refusal says why.
		for _, a := range allActions {
			for _, actor := range c.Roles {
				for _, target := range c.Roles {
					m, tm := policy.Member{Role: actor.Name, Status: policy.StatusActive}, policy.Member{Role: target.Name, Status: policy.StatusActive}
					d := c.Decide(policy.Request{Action: a, Actor: m, Target: &tm, NewRole: target.Name, PasswordOK: true, ActiveOwners: 1})
					if !d.Allowed && (d.Code == "" || d.Reason == "") {
						t.Fatalf("Decide(%s by %s on %s) refused without a code or a reason: %+v", a, actor.Name, target.Name, d)
					}
				}
			}
		}
	})
}

// TestLoadRefusesAStuckAccountsCatalog: a catalog file for a new account
// must give its owner every permission of Roster's own, and the list to
// every role that may act on members (inviting aside), and must not take a
// built-in catalog's name. A stored catalog is read without these rules,
// so that accounts made before them keep loading.
func TestLoadRefusesAStuckAccountsCatalog(t *testing.T) {
	fresh := editLines(baseCatalog, 8, 8, freshOwner)
	for _, c := range []struct {
		name, file string
		line       int    // 0: loads
		want       string // in the problem
	}{
		{"fresh", fresh, 0, ""},
		{"the owner may not read members", editLines(editLines(fresh, 11, 11, "    permissions: [members.invite, reports.read]"), 8, 8, "    permissions: [members.invite, members.edit, members.disable, members.remove, audit.read, ownership.transfer, reports.read]"),
			5, `the owner role "Owner" must hold "members.read"`},
		{"the owner may not invite", baseCatalog, 5, `the owner role "Owner" must hold "members.invite"`},
		{"a role may edit without the list", editLines(fresh, 11, 11, "    permissions: [members.edit, reports.read]"),
			11, `role "Admin" holds "members.edit" but not "members.read"`},
		{"a role may invite without the list", editLines(fresh, 11, 11, "    permissions: [members.invite, reports.read]"), 0, ""},
		{"a built-in's name", editLines(fresh, 1, 1, "name: bizmetry"), 1, `name "bizmetry" is a built-in catalog's`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.Load("file.yaml", func(string) ([]byte, error) { return []byte(c.file), nil })
			if c.line == 0 {
				if err != nil {
					t.Fatalf("Load = %v, want the catalog", err)
				}
				return
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) || pe.Line != c.line || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v; want a problem at line %d saying %q", err, c.line, c.want)
			}
			if _, err := policy.Parse("stored", []byte(c.file)); err != nil {
				t.Errorf("Parse of the same catalog, as stored = %v; want it read", err)
			}
		})
	}
}
