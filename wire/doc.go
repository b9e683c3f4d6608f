// Package wire holds the hand-written JSON code of the generated models in
// package gen: the types for values jAccount sends in more than one form
// (the spec points at them with x-go-type), the encoding of models that keep
// the JSON they were decoded from (MarshalObject), and Decoder, the
// one-pass decoder under the DecodeJSON and UnmarshalJSON methods that
// internal/apigen generates for every model. Users reach the types through
// the model aliases of package api (api.Birthday) and need not import wire.
//
// The package imports only the standard library.
package wire
