package cli

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// fakeFile is the users file of `jaccount fake` (YAML): the accounts a team
// tests with and, optionally, the application and the seed. The commented
// example is cmd/jaccount/testdata/fake-users.yaml; TestFakeUsersExample
// keeps it complete.
type fakeFile struct {
	Seed         *uint64      `yaml:"seed"`
	Client       *fakeClient  `yaml:"client"`
	DefaultUsers *bool        `yaml:"default_users"`
	Users        []fakeUser   `yaml:"users"`
	root         *yaml.Node   // for the lines of values
	users        []*yaml.Node // each user's mapping
}

// fakeClient is the registered application.
type fakeClient struct {
	ID           string   `yaml:"id"`
	Secret       string   `yaml:"secret"`
	RedirectURIs []string `yaml:"redirect_uris"`
	Scopes       []string `yaml:"scopes"`
}

// fakeOrg is an organisation, a major or an identity type: an id and a
// name.
type fakeOrg struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// fakeUser is one account.
type fakeUser struct {
	Username   string         `yaml:"username"`
	Password   string         `yaml:"password"`
	Name       string         `yaml:"name"`
	Type       string         `yaml:"type"`
	Code       string         `yaml:"code"`
	Organize   *fakeOrg       `yaml:"organize"`
	ClassNo    string         `yaml:"class_no"`
	Email      string         `yaml:"email"`
	Mobile     string         `yaml:"mobile"`
	Gender     string         `yaml:"gender"`
	Birthday   string         `yaml:"birthday"`
	ID         string         `yaml:"id"`
	Consented  []string       `yaml:"consented"`
	Identities []fakeIdentity `yaml:"identities"`
}

// fakeIdentity is one of a user's identities.
type fakeIdentity struct {
	Type          string   `yaml:"type"`
	Code          string   `yaml:"code"`
	Organize      *fakeOrg `yaml:"organize"`
	Status        string   `yaml:"status"`
	Default       bool     `yaml:"default"`
	ExpireDate    string   `yaml:"expire_date"`
	ClassNo       string   `yaml:"class_no"`
	Major         *fakeOrg `yaml:"major"`
	AdmissionDate string   `yaml:"admission_date"`
	GraduateDate  string   `yaml:"graduate_date"`
	TrainLevel    string   `yaml:"train_level"`
}

// userTypeNames are the user types' Chinese names (userTypeName).
var userTypeNames = map[api.UserType]string{
	api.UserTypeFaculty: "教职工", api.UserTypeStudent: "学生", api.UserTypeYXY: "医学院教职工",
	api.UserTypeFS: "附属单位职工", api.UserTypeVIP: "贵宾", api.UserTypePostPhD: "博士后",
	api.UserTypeExternalTeacher: "外聘教师", api.UserTypeSummer: "暑期生", api.UserTypeAlumni: "校友",
	api.UserTypeGreen: "绿色通道", api.UserTypeOutside: "合作交流", api.UserTypeFSZXJS: "附属中学教师",
	api.UserTypeFreshman: "新生", api.UserTypeTeam: "集体账号", api.UserTypeFSYYJZG: "附属单位职工",
	api.UserTypeSchoolFellow: "校友",
}

// fakeFileError is a users file that cannot be used, with the line of the
// offending value when known.
type fakeFileError struct {
	path string
	line int
	msg  string
}

func (e *fakeFileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("users file %s: line %d: %s", e.path, e.line, e.msg)
	}
	return fmt.Sprintf("users file %s: %s", e.path, e.msg)
}

// yamlTypeRE and yamlFieldRE read the errors of go.yaml.in/yaml/v3, so
// that messages name keys and values, not Go types.
var (
	yamlLineRE  = regexp.MustCompile(`^line (\d+): (.*)$`)
	yamlFieldRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	yamlTypeRE  = regexp.MustCompile("^cannot unmarshal !!(\\w+) (`.*`|) ?into (\\S+)$")
)

// yamlWant says what a Go type of the file holds, for messages.
func yamlWant(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "int"):
		return "a whole number from 0"
	}
	return "a mapping of keys"
}

// parseFakeFile reads a users file. Unknown keys, values of the wrong type
// and bad values are errors naming the line.
func parseFakeFile(path string, data []byte) (*fakeFile, error) {
	fail := func(line int, format string, args ...any) error {
		return &fakeFileError{path, line, fmt.Sprintf(format, args...)}
	}
	var f fakeFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return &f, nil // an empty file: the defaults
		}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			m := yamlLineRE.FindStringSubmatch(te.Errors[0])
			if m == nil {
				return nil, fail(0, "%s", te.Errors[0])
			}
			line, _ := strconv.Atoi(m[1])
			msg := m[2]
			if fm := yamlFieldRE.FindStringSubmatch(msg); fm != nil {
				msg = "unknown key " + strconv.Quote(fm[1])
			} else if tm := yamlTypeRE.FindStringSubmatch(msg); tm != nil {
				got := strings.Trim(tm[2], "`")
				if got == "" {
					got = "a " + tm[1]
				}
				msg = fmt.Sprintf("%s is not %s", got, yamlWant(tm[3]))
			}
			return nil, fail(line, "%s", msg)
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, fail(line, "%s", m[2])
		}
		return nil, fail(0, "%s", msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fail(extra.Line, "one YAML document only")
	}
	// The same document as nodes, for the lines of the values checked below.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil, fail(0, "unreadable YAML")
	}
	f.root = doc.Content[0]
	if users := child(f.root, "users"); users != nil {
		f.users = users.Content
	}
	if err := f.check(fail); err != nil {
		return nil, err
	}
	return &f, nil
}

// child returns the value of key in the mapping n, nil if absent.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lineOf is the line of the value at path below n (keys and list
// indexes), or of the deepest node of the path that exists.
func lineOf(n *yaml.Node, path ...any) int {
	line := 0
	for _, p := range path {
		if n == nil {
			break
		}
		line = n.Line
		switch k := p.(type) {
		case string:
			n = child(n, k)
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				n = nil
			} else {
				n = n.Content[k]
			}
		}
	}
	if n != nil {
		line = n.Line
	}
	return line
}

var (
	usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// checkDate refuses a value that is not a yyyy-MM-dd date.
func checkDate(v string) bool {
	if v == "" {
		return true
	}
	_, err := time.Parse(time.DateOnly, v)
	return dateRE.MatchString(v) && err == nil
}

// check refuses bad values, naming their lines.
func (f *fakeFile) check(fail func(int, string, ...any) error) error {
	if c := f.Client; c != nil {
		at := func(path ...any) int { return lineOf(f.root, append([]any{"client"}, path...)...) }
		if c.ID == "" {
			return fail(at(), "client: id is required")
		}
		if c.Secret == "" {
			return fail(at(), "client: secret is required (a test value: the fake prints it)")
		}
		for i, u := range c.RedirectURIs {
			if err := checkRedirectURI(u); err != nil {
				return fail(at("redirect_uris", i), "redirect URI %q: %v", u, err)
			}
		}
		for i, sc := range c.Scopes {
			if !api.Scope(sc).Known() {
				return fail(at("scopes", i), "unknown scope %q", sc)
			}
		}
	}
	seen := map[string]int{}
	for i := range f.Users {
		u := &f.Users[i]
		node := f.users[i]
		at := func(path ...any) int { return lineOf(node, path...) }
		switch {
		case u.Username == "":
			return fail(at(), "a user without username")
		case !usernameRE.MatchString(u.Username):
			return fail(at("username"), "username %q: use letters, digits, '.', '_', '@' and '-'", u.Username)
		case seen[u.Username] != 0:
			return fail(at("username"), "user %s is already defined at line %d", u.Username, seen[u.Username])
		case u.Password == "":
			return fail(at(), "user %s has no password", u.Username)
		case u.Name == "":
			return fail(at(), "user %s has no name", u.Username)
		case u.Type != "" && !api.UserType(u.Type).Known():
			return fail(at("type"), "user type %q is not one of %s", u.Type, knownUserTypes())
		case u.Gender != "" && u.Gender != "male" && u.Gender != "female":
			return fail(at("gender"), "gender %q: male or female", u.Gender)
		case !checkDate(u.Birthday):
			return fail(at("birthday"), "birthday %q: a date such as 2005-03-14", u.Birthday)
		case u.Type == string(api.UserTypeTeam) && len(u.Identities) > 0:
			return fail(at("identities"), "a team account has no identities")
		}
		seen[u.Username] = at("username")
		if err := checkOrg(u.Organize, func() int { return at("organize") }, fail); err != nil {
			return err
		}
		for j, sc := range u.Consented {
			if !api.Scope(sc).Known() {
				return fail(at("consented", j), "unknown scope %q", sc)
			}
		}
		defaults := 0
		for j, id := range u.Identities {
			iat := func(path ...any) int { return at(append([]any{"identities", j}, path...)...) }
			switch {
			case id.Type == "":
				return fail(iat(), "an identity without type")
			case !api.UserType(id.Type).Known() || id.Type == string(api.UserTypeTeam):
				return fail(iat("type"), "identity type %q is not one of %s", id.Type, knownUserTypes())
			case id.Status != "" && !api.IdentityStatus(id.Status).Known():
				return fail(iat("status"), "identity status %q is not one of 正常, 离职, 退休, 退休返聘, 过期, 离校, 其他", id.Status)
			}
			for _, d := range []struct{ key, v string }{{"expire_date", id.ExpireDate},
				{"admission_date", id.AdmissionDate}, {"graduate_date", id.GraduateDate}} {
				if !checkDate(d.v) {
					return fail(iat(d.key), "%s %q: a date such as 2027-07-31", d.key, d.v)
				}
			}
			for _, o := range []struct {
				key string
				org *fakeOrg
			}{{"organize", id.Organize}, {"major", id.Major}} {
				if err := checkOrg(o.org, func() int { return iat(o.key) }, fail); err != nil {
					return err
				}
			}
			if id.Default {
				if defaults++; defaults > 1 {
					return fail(iat("default"), "user %s has more than one default identity", u.Username)
				}
			}
		}
	}
	return nil
}

// checkOrg refuses an organisation without an id or a name.
func checkOrg(o *fakeOrg, line func() int, fail func(int, string, ...any) error) error {
	if o != nil && (o.ID == "" || o.Name == "") {
		return fail(line(), "an organisation needs an id and a name")
	}
	return nil
}

// checkRedirectURI refuses what no authorize request could match: not an
// absolute http(s) URL, or one with a fragment.
func checkRedirectURI(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case (p.Scheme != "http" && p.Scheme != "https") || p.Host == "":
		return errors.New("not an absolute http or https URL")
	case p.Fragment != "" || strings.Contains(u, "#"):
		return errors.New("a redirect URI has no fragment")
	}
	return nil
}

func knownUserTypes() string {
	var names []string
	for t := range userTypeNames {
		if t != api.UserTypeTeam {
			names = append(names, string(t))
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ") + " (team for a profile only)"
}

// jaccountUsers are the file's accounts as the fake holds them.
func (f *fakeFile) jaccountUsers() []jaccounttest.User {
	out := make([]jaccounttest.User, 0, len(f.Users))
	for _, u := range f.Users {
		out = append(out, u.user())
	}
	return out
}

// org converts an organisation (zero for none).
func (o *fakeOrg) org() api.Organize {
	if o == nil {
		return api.Organize{}
	}
	return api.Organize{Id: o.ID, Name: o.Name}
}

// user is the account as the fake holds it: the profile of its fields, its
// identities (one made of type, code and organize when it lists none;
// none for a team account), the profile's code, type and organisation
// those of the default identity unless given.
func (u *fakeUser) user() jaccounttest.User {
	typ := api.UserType(u.Type)
	if typ == "" {
		typ = api.UserTypeStudent
	}
	p := api.Profile{Id: u.ID, Account: u.Username, Name: u.Name, Kind: "canvas.profile", Code: u.Code,
		UserType: typ, Organize: u.Organize.org(), TopOrganize: u.Organize.org(), ClassNo: u.ClassNo,
		Email: u.Email, Mobile: u.Mobile, Gender: api.Gender(u.Gender), TimeZone: 8}
	if p.Email == "" {
		p.Email = u.Username + "@sjtu.edu.cn"
	}
	if u.Birthday != "" {
		t, _ := time.Parse(time.DateOnly, u.Birthday) // checked
		p.Birthday = api.BirthdayFromMillis(t.UnixMilli())
	}
	if typ == api.UserTypeTeam {
		p.TimeZone = 0
		return jaccounttest.User{Username: u.Username, Password: u.Password, Profile: p, Consented: u.Consented}
	}
	if p.Id == "" {
		p.Id = derivedID(u.Username)
	}
	ids := u.Identities
	if len(ids) == 0 {
		ids = []fakeIdentity{{Type: string(typ), Code: u.Code, Organize: u.Organize, ClassNo: u.ClassNo, Default: true}}
	}
	def := slices.IndexFunc(ids, func(id fakeIdentity) bool { return id.Default })
	if def < 0 {
		def = 0
	}
	for i, id := range ids {
		it := api.UserType(id.Type)
		status := api.IdentityStatus(id.Status)
		if status == "" {
			status = api.IdentityStatusNormal
		}
		org, major := id.Organize.org(), id.Major.org()
		ident := api.Identity{Kind: "nicman.identity", IsDefault: i == def, Code: id.Code, UserType: it,
			UserTypeName: userTypeNames[it], Organize: org, TopOrganize: org, Status: status,
			ExpireDate: id.ExpireDate, ClassNo: id.ClassNo, Major: api.Major{Id: major.Id, Name: major.Name},
			AdmissionDate: id.AdmissionDate, GraduateDate: id.GraduateDate, TrainLevel: id.TrainLevel,
			Type: api.IdentityType{Id: string(it), Name: userTypeNames[it]}}
		if id.Organize != nil {
			ident.TopOrganizes = []api.Organize{org}
		}
		p.Identities = append(p.Identities, ident)
	}
	d := p.Identities[def]
	if u.Code == "" {
		p.Code = d.Code
	}
	if u.Type == "" {
		p.UserType = d.UserType
	}
	if u.Organize == nil {
		p.Organize, p.TopOrganize = d.Organize, d.TopOrganize
	}
	if u.ClassNo == "" {
		p.ClassNo = d.ClassNo
	}
	return jaccounttest.User{Username: u.Username, Password: u.Password, Profile: p, Consented: u.Consented}
}

// derivedID is a natural-person id (a GUID) derived from the username, so
// that a user's id is the same on every run.
func derivedID(username string) string {
	h := sha256.Sum256([]byte("jaccount fake user " + username))
	h[6] = h[6]&0x0f | 0x50 // a name-based GUID
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
