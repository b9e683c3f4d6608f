package apigen

import (
	"os"
	"path/filepath"
)

// Generate loads the spec at specPath, checks it against the models in
// root/gen and the hand-written declarations in root/api, and renders every
// output (see Outputs).
func Generate(specPath, root string) (map[string][]byte, error) {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	a, err := Load(spec)
	if err != nil {
		return nil, err
	}
	if err := AddModels(a, filepath.Join(root, "gen")); err != nil {
		return nil, err
	}
	if err := AddDecoders(a, filepath.Join(root, "gen")); err != nil {
		return nil, err
	}
	if err := CheckNames(a, filepath.Join(root, "api")); err != nil {
		return nil, err
	}
	return Render(a)
}
