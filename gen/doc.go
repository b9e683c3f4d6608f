// Package gen holds the models of jAccount's API: the Go types of the
// entities, request bodies and reply envelopes that openapi/jaccount.yaml
// describes, generated from it by oapi-codegen and internal/apigen
// (`go generate ./...`; do not edit the *.gen.go files).
//
// Import package api instead: it declares every type and constant of this
// package under the same name (api.Profile is gen.Profile, an alias, not a
// copy), next to the client whose methods return them, so that a program
// needs api and auth only. Package gen exists so that the models build
// without the client: auth's UserType, the fake jaccounttest and the
// jaccount command share them.
//
// # What a model holds
//
// An entity's fields are all optional: which ones a reply fills depends on
// the scopes the token was granted, and a field's zero value means "not
// sent". Every object model also keeps, in AdditionalProperties, each member
// of the JSON it was decoded from that its fields do not carry: members the
// spec does not know (a field jAccount adds tomorrow) and members whose value
// is the field's zero value ("lost": false, "bankNo": ""), numbers as
// json.Number. Encoding a decoded model gives back the same members; a
// field set to a non-zero value wins over a kept member of its name.
//
// Dates and instants are kept as jAccount sends them (epoch seconds or
// milliseconds, "2006-01-02", …); for each one a method named after the
// field plus "At" (Identity.ExpireDateAt, CardTransaction.DateTimeAt, …)
// returns it as a time.Time (a date at midnight China Standard Time, the
// zone jAccount writes them in). A Birthday holds either
// form jAccount uses for it. An open set (UserType, IdentityStatus, …) is a
// string type whose constants are the documented values; Known tells them
// from a value jAccount adds later, which decodes and encodes back unchanged.
//
// The <Model>List types are the reply envelopes (errno, error, total,
// nextToken, entities) of the operations that return a <Model>; package api
// reads them for you.
package gen
