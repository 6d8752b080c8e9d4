package policy

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the most bytes a catalog file may hold: a reader needs
// to read no more than one byte past it.
const MaxFileSize = 1 << 20

// Limits on a catalog file, so that a file or a stored catalog can never cost
// more to load than a real role model needs.
const (
	maxFileSize        = MaxFileSize
	maxRoles           = 100
	maxRolePermissions = 500
	maxRoleNameLen     = 64  // characters
	maxDescriptionLen  = 500 // characters
	maxPermissionLen   = 128 // bytes; permissions are ASCII
	maxRank            = 1000
	// maxProblems bounds how many problems one error reports: a broken
	// 1 MiB file must not produce a megabyte of error text.
	maxProblems = 20
)

var (
	catalogNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	permissionPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	yamlLinePrefix     = regexp.MustCompile(`^yaml: line (\d+): `)
)

// The built-in catalogs ship inside the binary (SPEC §2).
//
//go:embed catalogs/bigeye.yaml catalogs/bizmetry.yaml
var builtinFiles embed.FS

// builtins parses each embedded catalog once, on first use. The values are
// immutable, so every caller may share them.
var builtins = map[string]func() (*Catalog, error){
	"bigeye":   sync.OnceValues(func() (*Catalog, error) { return parseBuiltin("bigeye") }),
	"bizmetry": sync.OnceValues(func() (*Catalog, error) { return parseBuiltin("bizmetry") }),
}

func parseBuiltin(name string) (*Catalog, error) {
	file := "catalogs/" + name + ".yaml"
	data, err := builtinFiles.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read built-in catalog %s: %w", name, err)
	}
	c, err := Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("built-in catalog %s: %w", name, err)
	}
	if c.Name != name {
		return nil, fmt.Errorf("built-in catalog %s names itself %q", name, c.Name)
	}
	return c, nil
}

// isBuiltinFile reports whether a built-in catalog has this name (read from
// the embedded files: the builtins map is made by parsing them).
func isBuiltinFile(name string) bool {
	_, err := fs.Stat(builtinFiles, "catalogs/"+name+".yaml")
	return err == nil
}

// BuiltinNames returns the names of the catalogs that ship with Roster, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins))
	for name := range builtins {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the built-in catalog of this name ("bigeye", "bizmetry").
// Every call returns the same catalog; callers must not modify it.
func Builtin(name string) (*Catalog, error) {
	load, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("unknown built-in catalog %q (built in: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return load()
}

// Load returns the built-in catalog named nameOrPath or, when there is none of
// that name, parses the file at nameOrPath, read with readFile (os.ReadFile in
// production: the policy package does no I/O of its own).
func Load(nameOrPath string, readFile func(string) ([]byte, error)) (*Catalog, error) {
	if _, ok := builtins[nameOrPath]; ok {
		return Builtin(nameOrPath)
	}
	if nameOrPath == "" {
		return nil, fmt.Errorf("no catalog given: name a built-in one (%s) or a catalog file", strings.Join(BuiltinNames(), ", "))
	}
	if readFile == nil {
		return nil, fmt.Errorf("catalog %q is not a built-in one (%s), and no file reader was given", nameOrPath, strings.Join(BuiltinNames(), ", "))
	}
	data, err := readFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("catalog %q is not a built-in one (%s) nor a readable file: %w", nameOrPath, strings.Join(BuiltinNames(), ", "), err)
	}
	return parse(nameOrPath, data, true)
}

// ParseError is one problem in a catalog file. Its text is one line,
// "FILE:LINE: what is wrong". Parse returns a *ParseError, or several joined
// with errors.Join in the order of the file, so errors.As finds the first.
type ParseError struct {
	File string
	// Line is 1-based; 0 when the problem is the file as a whole (too large, empty).
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Parse reads a catalog file, YAML or JSON (which is YAML), and checks every
// rule of SPEC §2. filename only names the file in errors. The catalog's
// permissions are kept in the order the file writes them.
//
// The file is a mapping of name, owner_fallback, default_role (optional) and
// roles, a list of mappings of name, rank, description (optional) and
// permissions. Unknown fields are refused, so a typo never silently drops a
// permission.
func Parse(filename string, data []byte) (*Catalog, error) {
	return parse(filename, data, false)
}

// parse is Parse, with the rules of a new account's catalog when fresh.
func parse(filename string, data []byte, fresh bool) (*Catalog, error) {
	p := &parser{file: filename, fresh: fresh}
	if len(data) > maxFileSize {
		p.add(0, "the file is over 1 MiB, the most a catalog file may be")
		return nil, p.err()
	}
	root := p.document(data)
	if root == nil {
		return nil, p.err()
	}
	c := p.catalog(root)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	c.compile()
	return c, nil
}

// parser collects the problems of one file.
type parser struct {
	file     string
	problems []*ParseError
	// fresh is a file for a new account (Load), which must also meet
	// newCatalogRules; a stored catalog is read without them, so that
	// accounts made before a rule keep loading.
	fresh bool
}

func (p *parser) add(line int, format string, args ...any) {
	p.problems = append(p.problems, &ParseError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err joins the problems in the order of the file.
func (p *parser) err() error {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
	var errs []error
	for i, pe := range p.problems {
		if i == maxProblems {
			errs = append(errs, fmt.Errorf("%s: %d more problems not shown", p.file, len(p.problems)-maxProblems))
			break
		}
		errs = append(errs, pe)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// document parses the YAML text and returns its root node, or nil after
// recording why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(yamlSafeJSON(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "the file is empty; a catalog needs a name, an owner_fallback and roles")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.add(next.Line, "the file holds a second YAML document; a catalog file holds one")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.add(doc.Line, "the file is not a single YAML document")
		return nil
	}
	return doc.Content[0]
}

// yamlSafeJSON rewrites the string literals of a JSON document as YAML
// double-quoted strings. The YAML parser refuses two JSON escapes that
// common encoders write: \/ (PHP) and surrogate pairs such as \ud83d\ude00
// (Python). Lines are kept, so problems are still reported at the right
// line. Anything that is not valid JSON is returned unchanged.
func yamlSafeJSON(data []byte) []byte {
	const bom = "\xef\xbb\xbf"
	body := bytes.TrimPrefix(data, []byte(bom))
	if !json.Valid(body) {
		return data
	}
	out := make([]byte, 0, len(body)+len(body)/8)
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			out = append(out, body[i])
			continue
		}
		end := i + 1
		for body[end] != '"' {
			if body[end] == '\\' {
				end++
			}
			end++
		}
		var s string
		_ = json.Unmarshal(body[i:end+1], &s) // cannot fail: the document is valid
		out = appendYAMLQuoted(out, s)
		i = end
	}
	return out
}

// appendYAMLQuoted appends s as a YAML double-quoted string, escaping every
// character a YAML stream may not carry as it is.
func appendYAMLQuoted(out []byte, s string) []byte {
	out = append(out, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\\', byte(r))
		case yamlRaw(r):
			out = utf8.AppendRune(out, r)
		case r <= 0xffff:
			out = fmt.Appendf(out, "\\u%04X", r)
		default:
			out = fmt.Appendf(out, "\\U%08X", r)
		}
	}
	return append(out, '"')
}

// yamlRaw reports whether r may stand unescaped in a YAML double-quoted
// string: printable, and none of the characters YAML 1.1 reads as a line
// break or a byte order mark.
func yamlRaw(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029,
		r >= 0xd800 && r < 0xe000, r == 0xfeff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}

// yamlError turns the YAML parser's error into a problem at its line.
func (p *parser) yamlError(err error) {
	msg := strings.Join(strings.Fields(err.Error()), " ") // one line, whatever the parser wrote
	line := 0
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	p.add(line, "not valid YAML or JSON: %s", msg)
}

// roleEntry is one role as the file writes it, with the lines its problems
// are reported at.
type roleEntry struct {
	Role
	line      int   // the role's mapping
	rankLine  int   // its rank, or the mapping when rank is missing
	permLines []int // each permission's line
	ok        bool  // every field of the role is valid
}

// catalog checks the root mapping and every rule of SPEC §2. The result is
// meaningful only when no problem was recorded.
func (p *parser) catalog(root *yaml.Node) *Catalog {
	if !p.isMapping(field{key: root, val: root}, "the file", "a mapping of name, owner_fallback, default_role and roles") {
		return nil
	}
	fields := p.fields(root, "the file", "name", "owner_fallback", "default_role", "roles")
	c := &Catalog{}

	if f, ok := fields["name"]; !ok {
		p.add(root.Line, "name is missing: give the catalog a name such as %q", "acme")
	} else if name, ok := p.str(f.val, "name"); ok {
		if !catalogNamePattern.MatchString(name) {
			p.add(f.key.Line, "name %s must be 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit", quote(name))
		} else if p.fresh && isBuiltinFile(name) {
			// The audit log and the API name an account's catalog: a
			// file's must not pass for a built-in one.
			p.add(f.key.Line, "name %s is a built-in catalog's; give this one a name of its own", quote(name))
		}
		c.Name = name
	}

	var roles []roleEntry
	rolesLine := root.Line
	allRolesOK := false
	if f, ok := fields["roles"]; !ok {
		p.add(root.Line, "roles is missing: a catalog needs at least one role")
	} else {
		rolesLine = f.key.Line
		roles, allRolesOK = p.roles(f)
	}

	fallback, fallbackNode := "", fields["owner_fallback"].val
	if fallbackNode == nil {
		p.add(root.Line, "owner_fallback is missing: name the role an owner takes after transferring ownership")
	} else if s, ok := p.optionalStr(fallbackNode, "owner_fallback"); ok {
		if s == "" {
			p.add(fallbackNode.Line, "owner_fallback is empty: name the role an owner takes after transferring ownership")
		}
		fallback = s
	}
	defaultRole, defaultNode := "", fields["default_role"].val
	if defaultNode != nil {
		if s, ok := p.optionalStr(defaultNode, "default_role"); ok {
			defaultRole = s
		}
	}

	// The rules across roles are only meaningful once every role is read.
	if !allRolesOK {
		return nil
	}
	owner := p.ownerRole(roles, rolesLine)
	p.lowestRankRule(roles)
	byName := make(map[string]bool, len(roles))
	for _, r := range roles {
		byName[r.Name] = true
	}
	if owner != nil {
		p.ownerHoldsAll(roles, owner)
		if p.fresh {
			p.newCatalogRules(roles, owner)
		}
		c.Owner = owner.Name
	}
	if fallback != "" {
		switch {
		case !byName[fallback]:
			p.add(fallbackNode.Line, "owner_fallback %s is not a role of this catalog", quote(fallback))
		case owner != nil && fallback == owner.Name:
			p.add(fallbackNode.Line, "owner_fallback %s is the owner role; an owner who hands ownership over must take another role", quote(fallback))
		}
	}
	if defaultRole != "" {
		switch {
		case !byName[defaultRole]:
			p.add(defaultNode.Line, "default_role %s is not a role of this catalog", quote(defaultRole))
		case owner != nil && defaultRole == owner.Name:
			p.add(defaultNode.Line, "default_role %s is the owner role; an invitation must not make an owner by default", quote(defaultRole))
		}
	}

	c.Roles = make([]Role, len(roles))
	for i, r := range roles {
		c.Roles[i] = r.Role
	}
	c.Fallback = fallback
	c.DefaultRole = defaultRole
	return c
}

// roles reads the list of roles. ok reports whether every role is valid on
// its own, so that the rules across roles can be checked.
func (p *parser) roles(f field) (roles []roleEntry, ok bool) {
	n := f.val
	if !p.isSequence(f, "roles", "a list of roles") {
		return nil, false
	}
	switch {
	case len(n.Content) == 0:
		p.add(f.key.Line, "roles is empty: a catalog needs at least one role")
		return nil, false
	case len(n.Content) > maxRoles:
		p.add(f.key.Line, "roles lists %d roles; a catalog may have at most %d", len(n.Content), maxRoles)
		return nil, false
	}
	ok = true
	firstLine := make(map[string]int, len(n.Content))
	for i, rn := range n.Content {
		r := p.role(rn, i+1)
		if r.Name != "" {
			if line, dup := firstLine[r.Name]; dup {
				p.add(r.line, "role %s is listed twice (first at line %d)", quote(r.Name), line)
				r.ok = false
			} else {
				firstLine[r.Name] = r.line
			}
		}
		ok = ok && r.ok
		roles = append(roles, r)
	}
	return roles, ok
}

// role reads one role; pos is its 1-based position, to name it when it has
// no usable name.
func (p *parser) role(n *yaml.Node, pos int) roleEntry {
	r := roleEntry{line: n.Line, rankLine: n.Line}
	what := fmt.Sprintf("role %d", pos)
	if !p.isMapping(field{key: n, val: n}, what, "a mapping of name, rank, description and permissions") {
		return r
	}
	before := len(p.problems)
	fields := p.fields(n, what, "name", "rank", "description", "permissions")
	if f, found := fields["name"]; !found {
		p.add(n.Line, "%s has no name", what)
	} else if name, valid := p.str(f.val, what+" name"); valid {
		r.line = f.key.Line
		if msg := roleNameProblem(name); msg != "" {
			p.add(f.key.Line, "%s name %s %s", what, quote(name), msg)
		} else {
			r.Name = name
			what = "role " + quote(name)
		}
	}
	if f, found := fields["rank"]; !found {
		p.add(n.Line, "%s has no rank: give it a whole number, higher for more powerful roles", what)
	} else {
		r.rankLine = f.key.Line
		r.Rank = p.rank(f, what)
	}
	if f, found := fields["description"]; found {
		if d, valid := p.optionalStr(f.val, what+" description"); valid {
			if msg := descriptionProblem(d); msg != "" {
				p.add(f.key.Line, "%s description %s", what, msg)
			}
			r.Description = d
		}
	}
	if f, found := fields["permissions"]; !found {
		p.add(n.Line, "%s has no permissions: list them, or write permissions: [] for none", what)
	} else {
		r.Permissions, r.permLines = p.permissions(f, what)
	}
	r.ok = len(p.problems) == before
	return r
}

// rank reads a role's rank, or records a problem and returns 0.
func (p *parser) rank(f field, what string) int {
	n := f.val
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.add(f.key.Line, "%s rank must be a whole number from 1 to %d, not %s", what, maxRank, describe(n))
		return 0
	}
	var rank int
	if err := n.Decode(&rank); err != nil || rank < 1 || rank > maxRank {
		p.add(f.key.Line, "%s rank must be a whole number from 1 to %d, not %s", what, maxRank, truncate(n.Value))
		return 0
	}
	return rank
}

// permissions reads a role's permissions and the line of each.
func (p *parser) permissions(f field, what string) ([]string, []int) {
	n := f.val
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return []string{}, nil // "permissions:" with nothing after it
	}
	if !p.isSequence(f, what+" permissions", "a list of permissions such as [members.read]") {
		return nil, nil
	}
	if len(n.Content) > maxRolePermissions {
		p.add(f.key.Line, "%s lists %d permissions; a role may hold at most %d", what, len(n.Content), maxRolePermissions)
		return nil, nil
	}
	perms := make([]string, 0, len(n.Content))
	lines := make([]int, 0, len(n.Content))
	firstLine := make(map[string]int, len(n.Content))
	for _, pn := range n.Content {
		perm, ok := p.str(pn, what+" permission")
		if !ok {
			continue
		}
		switch {
		case len(perm) > maxPermissionLen || !permissionPattern.MatchString(perm):
			p.add(pn.Line, "%s permission %s must be lower.dotted words such as %q (at most %d characters)", what, quote(perm), PermMembersRead, maxPermissionLen)
			continue
		case firstLine[perm] != 0:
			p.add(pn.Line, "%s permission %s is listed twice (first at line %d)", what, quote(perm), firstLine[perm])
			continue
		}
		firstLine[perm] = pn.Line
		perms = append(perms, perm)
		lines = append(lines, pn.Line)
	}
	return perms, lines
}

// ownerRole finds the owner role: the only role that holds
// ownership.transfer, ranked above every other role. It returns nil after
// recording the problem when there is no such role.
func (p *parser) ownerRole(roles []roleEntry, rolesLine int) *roleEntry {
	var owner *roleEntry
	for i := range roles {
		r := &roles[i]
		line, holds := r.permissionLine(PermOwnershipTransfer)
		switch {
		case !holds:
		case owner == nil:
			owner = r
		default:
			p.add(line, "role %s holds %s, but so does role %s (line %d); exactly one role, the owner role, may", quote(r.Name), PermOwnershipTransfer, quote(owner.Name), owner.line)
		}
	}
	if owner == nil {
		p.add(rolesLine, "no role holds %s; exactly one role, the owner role of the highest rank, must", PermOwnershipTransfer)
		return nil
	}
	valid := true
	for i := range roles {
		r := &roles[i]
		if r != owner && r.Rank >= owner.Rank {
			p.add(r.rankLine, "role %s has rank %d, but the owner role %s (rank %d, line %d) must outrank every other role", quote(r.Name), r.Rank, quote(owner.Name), owner.Rank, owner.line)
			valid = false
		}
	}
	if !valid {
		return nil
	}
	return owner
}

// lowestRankRule checks that roles that cannot manage members rank lowest:
// a role above them would otherwise be unable to act on anyone below it, and
// the rank order would stop meaning "may manage".
func (p *parser) lowestRankRule(roles []roleEntry) {
	lowest := roles[0].Rank
	for _, r := range roles {
		lowest = min(lowest, r.Rank)
	}
	for _, r := range roles {
		if r.Rank > lowest && !r.managesMembers() {
			p.add(r.rankLine, "role %s holds no members.* permission, so its rank must be the catalog's lowest (%d), not %d", quote(r.Name), lowest, r.Rank)
		}
	}
}

// ownerHoldsAll checks that the owner role holds every permission of the
// catalog, so that no role can do something the owner cannot.
func (p *parser) ownerHoldsAll(roles []roleEntry, owner *roleEntry) {
	held := make(map[string]bool, len(owner.Permissions))
	for _, perm := range owner.Permissions {
		held[perm] = true
	}
	for _, r := range roles {
		for i, perm := range r.Permissions {
			if !held[perm] {
				p.add(r.permLines[i], "role %s holds %s, which the owner role %s does not; the owner role must hold every permission of the catalog", quote(r.Name), quote(perm), quote(owner.Name))
				held[perm] = true // once per permission
			}
		}
	}
}

// newCatalogRules are the rules a catalog file must meet to make a new
// account, beyond SPEC §2's: no command changes an account's catalog, so
// an account whose owner could not manage its members, or whose roles hold
// member permissions they could never use, would be stuck so for good.
//   - The owner role holds every permission of Roster's own: an owner who
//     may not see the members cannot invite, edit or hand over from the UI,
//     and no one can ever be given what the owner lacks.
//   - A role that may edit, disable or remove members may see them: both
//     the UI and the API find a member to act on in the list. (Inviting
//     needs no list: a role may invite without it.)
func (p *parser) newCatalogRules(roles []roleEntry, owner *roleEntry) {
	for _, perm := range []string{PermMembersRead, PermMembersInvite, PermMembersEdit, PermMembersDisable, PermMembersRemove, PermAuditRead} {
		if _, ok := owner.permissionLine(perm); !ok {
			p.add(owner.line, "the owner role %s must hold %s, as every permission of Roster's own: no one in the account could ever be given it", quote(owner.Name), quote(perm))
		}
	}
	for _, r := range roles {
		if _, ok := r.permissionLine(PermMembersRead); ok {
			continue
		}
		for _, perm := range []string{PermMembersEdit, PermMembersDisable, PermMembersRemove} {
			if line, ok := r.permissionLine(perm); ok {
				p.add(line, "role %s holds %s but not %s: it could not find a member to act on; give it %[3]s too, or take %[2]s away", quote(r.Name), quote(perm), quote(PermMembersRead))
			}
		}
	}
}

func (r *roleEntry) permissionLine(perm string) (int, bool) {
	for i, p := range r.Permissions {
		if p == perm {
			return r.permLines[i], true
		}
	}
	return 0, false
}

func (r *roleEntry) managesMembers() bool {
	for _, p := range r.Permissions {
		if strings.HasPrefix(p, "members.") {
			return true
		}
	}
	return false
}

// field is one key of a mapping and its value. Problems with the value as a
// whole are reported at the key's line: a block list or mapping starts on
// the line after it.
type field struct{ key, val *yaml.Node }

// fields reads a mapping's keys, refusing unknown and repeated ones.
func (p *parser) fields(n *yaml.Node, what string, known ...string) map[string]field {
	out := make(map[string]field, len(known))
	firstLine := make(map[string]int, len(known))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			p.add(k.Line, "%s has a key that is not a field name: %s", what, describe(k))
			continue
		}
		if line, dup := firstLine[k.Value]; dup {
			p.add(k.Line, "%s gives %s twice (first at line %d)", what, quote(k.Value), line)
			continue
		}
		firstLine[k.Value] = k.Line
		if !slices.Contains(known, k.Value) {
			p.add(k.Line, "%s has an unknown field %s (known fields: %s)", what, quote(k.Value), strings.Join(known, ", "))
			continue
		}
		out[k.Value] = field{key: k, val: v}
	}
	return out
}

func (p *parser) isMapping(f field, what, want string) bool {
	if f.val.Kind == yaml.MappingNode && f.val.ShortTag() == "!!map" {
		return true
	}
	p.add(f.key.Line, "%s must be %s, not %s", what, want, describe(f.val))
	return false
}

func (p *parser) isSequence(f field, what, want string) bool {
	if f.val.Kind == yaml.SequenceNode && f.val.ShortTag() == "!!seq" {
		return true
	}
	p.add(f.key.Line, "%s must be %s, not %s", what, want, describe(f.val))
	return false
}

// str returns the text of a string scalar, recording a problem for anything
// else. Strings must be valid UTF-8 free of NUL, which no database column
// would keep.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if tag := n.ShortTag(); n.Kind == yaml.ScalarNode && (tag == "!!int" || tag == "!!float" || tag == "!!bool") {
			hint = fmt.Sprintf(" (write %s to mean the text)", quote(n.Value))
		}
		p.add(n.Line, "%s must be a string, not %s%s", what, describe(n), hint)
		return "", false
	}
	if !utf8.ValidString(n.Value) || strings.ContainsRune(n.Value, 0) {
		p.add(n.Line, "%s must be text without NUL characters", what)
		return "", false
	}
	return n.Value, true
}

// optionalStr is str for a field that may be left empty (null).
func (p *parser) optionalStr(n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return "", true
	}
	return p.str(n, what)
}

// roleNameProblem says what is wrong with a role name, or "". Role names are
// shown in lists and dropdowns and compared exactly, so invisible or
// surrounding characters would only mislead.
func roleNameProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case utf8.RuneCountInString(name) > maxRoleNameLen:
		return fmt.Sprintf("is longer than %d characters", maxRoleNameLen)
	case strings.TrimSpace(name) != name:
		return "starts or ends with a space"
	}
	for _, r := range name {
		if r != ' ' && !unicode.IsGraphic(r) {
			return fmt.Sprintf("holds the invisible or control character %U", r)
		}
	}
	return ""
}

// descriptionProblem says what is wrong with a role description, or "".
// Line breaks and tabs are fine; other control characters (NUL, which no
// database text column keeps, among them) and the non-characters U+FFFE and
// U+FFFF are not.
func descriptionProblem(d string) string {
	if n := utf8.RuneCountInString(d); n > maxDescriptionLen {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", n, maxDescriptionLen)
	}
	for _, r := range d {
		if r != '\n' && r != '\t' && unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return fmt.Sprintf("holds the control character %U", r)
		}
	}
	return ""
}

// describe names what a node holds, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + truncate(n.Value) + "); write the value out"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!null":
			return "empty"
		case "!!str":
			return "the text " + quote(n.Value)
		case "!!int", "!!float":
			return "the number " + truncate(n.Value)
		case "!!bool":
			return "the boolean " + truncate(n.Value)
		default:
			return "a value tagged " + truncate(tag)
		}
	}
	return "nothing"
}

// quote quotes a value from the file for a message, cut short so a message
// stays one readable line.
func quote(s string) string { return strconv.Quote(truncate(s)) }

func truncate(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// fileCatalog and fileRole are the file format, as MarshalFile writes it.
type fileCatalog struct {
	Name          string     `json:"name"`
	OwnerFallback string     `json:"owner_fallback"`
	DefaultRole   string     `json:"default_role,omitempty"`
	Roles         []fileRole `json:"roles"`
}

type fileRole struct {
	Name        string   `json:"name"`
	Rank        int      `json:"rank"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// MarshalFile writes the catalog in the catalog file format, as JSON: the
// text a store keeps for an account, and which Parse reads back into an equal
// catalog. It returns an error if the catalog would not load back, so an
// invalid catalog is never stored.
func (c *Catalog) MarshalFile() ([]byte, error) {
	f := fileCatalog{
		Name:          c.Name,
		OwnerFallback: c.Fallback,
		DefaultRole:   c.DefaultRole,
		Roles:         make([]fileRole, len(c.Roles)),
	}
	for i, r := range c.Roles {
		perms := r.Permissions
		if perms == nil {
			perms = []string{}
		}
		f.Roles[i] = fileRole{Name: r.Name, Rank: r.Rank, Description: r.Description, Permissions: perms}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("marshal catalog %q: %w", c.Name, err)
	}
	back, err := Parse(c.Name+".json", buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("catalog %q is not valid: %w", c.Name, err)
	}
	if back.Owner != c.Owner {
		return nil, fmt.Errorf("catalog %q names %q its owner role, but the owner role is %q", c.Name, c.Owner, back.Owner)
	}
	return buf.Bytes(), nil
}
