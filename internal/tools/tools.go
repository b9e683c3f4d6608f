//go:build tools

// Package tools pins the code generator in go.mod so that `go generate ./...`
// runs exactly the version the committed gen/ was produced with. It is never
// compiled into the SDK. It is not in the root package because `go get` of a
// package reads its files under every build tag: `go get
// github.com/oauth-jaccount/jaccount-go` would add the generator and its
// dependencies to a user's go.mod.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
