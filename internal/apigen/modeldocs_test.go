package apigen

import (
	"bytes"
	"strings"
	"testing"
)

// TestDocumentModels: the fields oapi-codegen leaves bare, a model's
// AdditionalProperties and an envelope's Entities, get a doc comment; a
// field with a comment keeps it; documenting twice changes nothing.
func TestDocumentModels(t *testing.T) {
	t.Parallel()
	src := []byte(`package gen

// Thing A thing.
type Thing struct {
	// Name The thing's name.
	Name                 string                 ` + "`json:\"name,omitempty\"`" + `
	AdditionalProperties map[string]interface{} ` + "`json:\"-\"`" + `
}

// ThingList The envelope of a reply whose entities are Thing values.
type ThingList struct {
	Entities []Thing ` + "`json:\"entities\"`" + `

	// Errno 0 on success.
	Errno int ` + "`json:\"errno\"`" + `
}

// Other has a documented AdditionalProperties and an Entities of no model.
type Other struct {
	// AdditionalProperties is documented already.
	AdditionalProperties map[string]any
	Entities             map[string]any
}
`)
	once, err := DocumentModels(src)
	if err != nil {
		t.Fatal(err)
	}
	got := string(once)
	for _, want := range []string{
		"\t// Name The thing's name.\n\tName string",
		"\n\n\t// AdditionalProperties keeps, by name, the members of the decoded JSON that no\n",
		"\t// over a kept member of its name.\n\tAdditionalProperties map[string]interface{} `json:\"-\"`\n}",
		"type ThingList struct {\n\t// Entities holds the reply's Thing values:\n",
		"\t// member, and then Entities is nil.\n\tEntities []Thing `json:\"entities\"`",
		"\t// AdditionalProperties is documented already.\n\tAdditionalProperties map[string]any\n\tEntities             map[string]any\n}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the documented models lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "// AdditionalProperties keeps"); n != 1 {
		t.Errorf("%d comments on AdditionalProperties, want 1:\n%s", n, got)
	}
	twice, err := DocumentModels(once)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, twice) {
		t.Errorf("documenting twice changed the file:\n%s", twice)
	}
	if _, err := DocumentModels([]byte("package gen\ntype T struct {")); err == nil {
		t.Error("no error for a file that does not parse")
	}
}
