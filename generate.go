// Package jaccount is the root of the jaccount-go module; it holds no code of
// its own. Users import auth (OAuth 2.0 / OpenID Connect login and tokens),
// api (the typed client, with the models under their own names), web (login
// for net/http) and jaccounttest (the fake jAccount), and the nested module
// auth/redisstore; gen holds the generated models that api declares again.
//
// Running `go generate ./...` regenerates, from openapi/jaccount.yaml:
//   - gen/models.gen.go, the models, with oapi-codegen (the version go.mod
//     pins through internal/tools), as openapi/oapi-codegen.yaml and its
//     templates in openapi/templates say (apigen then gives a doc comment
//     to the fields oapi-codegen leaves bare, AdditionalProperties and
//     Entities);
//   - then, with internal/apigen (its Outputs), everything else the spec
//     determines: in package api the services, methods, parameter structs
//     and paging iterators (client.gen.go, operations.gen.go), the paths
//     (paths.gen.go), each operation's retry safety (retry.gen.go), the
//     scopes (scopes.gen.go), the errnos (errnos.gen.go) and the model
//     aliases (models.gen.go); in package gen the models' one-pass decoders
//     (decode.gen.go), the open sets (enums.gen.go) and the time methods
//     (times.gen.go); the fake's routes and scopes
//     (jaccounttest/routes.gen.go); and the jaccount command's per-operation
//     commands (cmd/jaccount/internal/cli/commands.gen.go).
package jaccount

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/oapi-codegen.yaml openapi/jaccount.yaml
//go:generate go run ./internal/apigen/cmd/apigen -spec openapi/jaccount.yaml
