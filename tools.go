//go:build tools

// This file pins the code generator in go.mod so that `go generate ./...`
// runs exactly the version the committed gen/ was produced with. It is never
// compiled into the SDK.
package jaccount

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
