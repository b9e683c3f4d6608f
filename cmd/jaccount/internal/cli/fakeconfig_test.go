package cli

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// exampleUsersFile is the commented example of the users file that the
// documentation points to.
const exampleUsersFile = "../../testdata/fake-users.yaml"

// yamlKeys returns the yaml keys of struct type t and of the structs it
// holds, by the tags.
func yamlKeys(t reflect.Type, into map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		into[name] = true
		yamlKeys(f.Type, into)
	}
}

// nodeKeys returns every mapping key in the YAML tree n.
func nodeKeys(n *yaml.Node, into map[string]bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			into[n.Content[i].Value] = true
		}
	}
	for _, c := range n.Content {
		nodeKeys(c, into)
	}
}

// TestFakeUsersExample: the commented example parses, shows every key the
// format has, and gives the users and client it says.
func TestFakeUsersExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(exampleUsersFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseFakeFile(exampleUsersFile, data)
	if err != nil {
		t.Fatalf("the example does not parse: %v", err)
	}
	want, got := map[string]bool{}, map[string]bool{}
	yamlKeys(reflect.TypeFor[fakeFile](), want)
	nodeKeys(f.root, got)
	for k := range want {
		if !got[k] {
			t.Errorf("the example does not show the key %q", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("the example shows %q, which the format does not have", k)
		}
	}
	if f.Seed == nil || *f.Seed != 20260901 || f.Client == nil || f.Client.ID != "my-app" || len(f.Client.RedirectURIs) != 2 {
		t.Errorf("seed %v, client %+v", f.Seed, f.Client)
	}
	users := f.jaccountUsers()
	if len(users) != 3 {
		t.Fatalf("%d users", len(users))
	}
	alice := users[0]
	p := alice.Profile
	if alice.Username != "alice" || alice.Password != "alice-password" || p.Name != "爱丽丝" ||
		p.UserType != api.UserTypeStudent || p.Code != "523031910042" || p.Organize.Name != "电子信息与电气工程学院" ||
		p.Gender != api.GenderFemale || p.Birthday.String() == "" || p.Id != "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f" ||
		!slices.Equal(alice.Consented, []string{"openid", "basic", "essential"}) {
		t.Errorf("alice = %+v", alice)
	}
	if len(p.Identities) != 2 || !p.Identities[0].IsDefault || p.Identities[1].IsDefault ||
		p.Identities[0].Major.Name != "计算机科学与技术" || p.Identities[1].Status != api.IdentityStatusLeft ||
		p.Identities[1].UserType != api.UserTypeAlumni || p.Identities[0].UserTypeName != "学生" {
		t.Errorf("alice's identities = %+v", p.Identities)
	}
	bob := users[1].Profile
	if bob.Id == "" || bob.Id != derivedID("bob-staff") || len(bob.Identities) != 1 || bob.Identities[0].Code != "10042" ||
		bob.Email != "bob-staff@sjtu.edu.cn" || bob.Identities[0].Status != api.IdentityStatusNormal {
		t.Errorf("bob = %+v", bob)
	}
	team := users[2].Profile
	if team.Id != "" || len(team.Identities) != 0 || team.UserType != api.UserTypeTeam {
		t.Errorf("the team account = %+v", team)
	}
}

// TestFakeUsersDefaults: without identities, the one made from the user's
// fields is the default, and the profile takes its code and type from the
// default identity when the user gives none.
func TestFakeUsersDefaults(t *testing.T) {
	t.Parallel()
	f, err := parseFakeFile("u.yaml", []byte(`
users:
  - {username: u1, password: p, name: N}
  - username: u2
    password: p
    name: M
    identities:
      - {type: faculty, code: "1"}
      - {type: student, code: "2", default: true, organize: {id: "9", name: X}}
`))
	if err != nil {
		t.Fatal(err)
	}
	users := f.jaccountUsers()
	if p := users[0].Profile; p.UserType != api.UserTypeStudent || len(p.Identities) != 1 || !p.Identities[0].IsDefault {
		t.Errorf("u1 = %+v", p)
	}
	if p := users[1].Profile; p.UserType != api.UserTypeStudent || p.Code != "2" || p.Organize.Name != "X" || !p.Identities[1].IsDefault {
		t.Errorf("u2 = %+v", p)
	}
	if empty, err := parseFakeFile("e.yaml", nil); err != nil || len(empty.Users) != 0 {
		t.Errorf("an empty file: %v %+v", err, empty)
	}
}

// TestFakeUsersRefused: unknown keys, values of the wrong type and bad
// values are refused, naming the line.
func TestFakeUsersRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, want string }{
		{"unknown top key", "seed: 1\nsede: 2\n", `line 2: unknown key "sede"`},
		{"unknown user key", "users:\n  - username: a\n    password: p\n    name: A\n    nmae: B\n", `line 5: unknown key "nmae"`},
		{"unknown identity key", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - {type: student, colour: red}\n", `line 6: unknown key "colour"`},
		{"seed not a number", "seed: many\n", "line 1: many is not a whole number from 0"},
		{"negative seed", "seed: -1\n", "line 1: -1 is not a whole number from 0"},
		{"users not a list", "users: {a: 1}\n", "line 1: "},
		{"default_users not a bool", "default_users: maybe\n", "line 1: maybe is not true or false"},
		{"syntax", "users:\n  - username: [a\n", "line "},
		{"two documents", "seed: 1\n---\nseed: 2\n", "line 2: one YAML document only"},
		{"duplicate key", "seed: 1\nseed: 2\n", `line 2: mapping key "seed" already defined at line 1`},
		{"no username", "users:\n  - password: p\n    name: A\n", "line 2: a user without username"},
		{"bad username", "users:\n  - username: a b\n    password: p\n    name: A\n", `line 2: username "a b"`},
		{"duplicate username", "users:\n  - {username: a, password: p, name: A}\n  - {username: a, password: p, name: A}\n", "line 3: user a is already defined at line 2"},
		{"no password", "users:\n  - username: a\n    name: A\n", "line 2: user a has no password"},
		{"no name", "users:\n  - username: a\n    password: p\n", "line 2: user a has no name"},
		{"unknown type", "users:\n  - username: a\n    password: p\n    name: A\n    type: studnet\n", `line 5: user type "studnet" is not one of`},
		{"bad gender", "users:\n  - username: a\n    password: p\n    name: A\n    gender: x\n", `line 5: gender "x": male or female`},
		{"bad birthday", "users:\n  - username: a\n    password: p\n    name: A\n    birthday: 2005-13-01\n", `line 5: birthday "2005-13-01"`},
		{"unknown consented scope", "users:\n  - username: a\n    password: p\n    name: A\n    consented: [basic, telepathy]\n", `line 5: unknown scope "telepathy"`},
		{"organisation without name", "users:\n  - username: a\n    password: p\n    name: A\n    organize: {id: \"1\"}\n", "line 5: an organisation needs an id and a name"},
		{"team with identities", "users:\n  - username: a\n    password: p\n    name: A\n    type: team\n    identities: [{type: student}]\n", "line 6: a team account has no identities"},
		{"identity without type", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - {code: \"1\"}\n", "line 6: an identity without type"},
		{"identity of type team", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - {type: team}\n", `line 6: identity type "team"`},
		{"bad status", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - type: student\n        status: gone\n", `line 7: identity status "gone"`},
		{"bad expire date", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - type: student\n        expire_date: 31/07/2027\n", `line 7: expire_date "31/07/2027"`},
		{"two defaults", "users:\n  - username: a\n    password: p\n    name: A\n    identities:\n      - {type: student, default: true}\n      - {type: alumni, default: true}\n", "line 7: user a has more than one default identity"},
		{"client without id", "client:\n  secret: s\n", "line 2: client: id is required"},
		{"client without secret", "client:\n  id: c\n", "line 2: client: secret is required"},
		{"relative redirect URI", "client:\n  id: c\n  secret: s\n  redirect_uris:\n    - /callback\n", `line 5: redirect URI "/callback": not an absolute http or https URL`},
		{"redirect URI with a fragment", "client:\n  id: c\n  secret: s\n  redirect_uris: [\"http://localhost/cb#x\"]\n", "line 4: "},
		{"unknown client scope", "client:\n  id: c\n  secret: s\n  scopes: [basic, nope]\n", `line 4: unknown scope "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseFakeFile("users.yaml", []byte(tt.file))
			var fe *fakeFileError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "users file users.yaml: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a *fakeFileError with %q", err, tt.want)
			}
		})
	}
}

// FuzzFakeUsersFile: no users file makes the parser panic, and what it
// accepts makes users the fake can hold.
func FuzzFakeUsersFile(f *testing.F) {
	if data, err := os.ReadFile(exampleUsersFile); err == nil {
		f.Add(data)
	}
	f.Add([]byte("users:\n  - {username: a, password: p, name: A, identities: [{type: student}]}\n"))
	f.Add([]byte("client: {id: c, secret: s, redirect_uris: [\"http://localhost/cb\"]}\nseed: 3\n"))
	f.Add([]byte("users: &u [*u]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ff, err := parseFakeFile("fuzz.yaml", data)
		if err != nil {
			var fe *fakeFileError
			if !errors.As(err, &fe) {
				t.Fatalf("not a *fakeFileError: %v", err)
			}
			return
		}
		for _, u := range ff.jaccountUsers() {
			if u.Username == "" || u.Password == "" || u.Profile.Name == "" {
				t.Fatalf("accepted a user without username, password or name: %+v", u)
			}
		}
	})
}
