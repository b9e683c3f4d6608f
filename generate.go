// Package jaccount is the root of the jaccount-go module; it holds no code of
// its own. The SDK lives in the auth, api and gen packages, the fake jAccount
// server in jaccounttest.
//
// Running `go generate ./...` regenerates gen/ from openapi/jaccount.yaml with
// the oapi-codegen version pinned in go.mod (see tools.go).
package jaccount

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/oapi-codegen-client.yaml openapi/jaccount.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/oapi-codegen-server.yaml openapi/jaccount.yaml
