// Package jaccount is the root of the jaccount-go module; it holds no code of
// its own. The SDK lives in the auth and api packages (with the models in gen
// and their wire types in wire), the fake jAccount server in jaccounttest.
//
// Running `go generate ./...` regenerates, from openapi/jaccount.yaml:
//   - gen/models.gen.go, the models, with the oapi-codegen version pinned in
//     go.mod (see internal/tools);
//   - then, with internal/apigen, everything else the spec determines: the
//     services, methods, parameter structs, paging iterators, paths, scopes,
//     errnos and model aliases of package api (api/*.gen.go), the route and
//     scope table of the fake (jaccounttest/routes.gen.go), and gen's
//     gen/enums.gen.go.
package jaccount

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config openapi/oapi-codegen.yaml openapi/jaccount.yaml
//go:generate go run ./internal/apigen/cmd/apigen -spec openapi/jaccount.yaml
