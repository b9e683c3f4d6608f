// Package wire holds the hand-written JSON types that the generated models in
// package gen use where jAccount sends one value in more than one form (the
// spec points at them with x-go-type). Users reach them through the model
// aliases of package api (api.Birthday) and need not import wire.
//
// The package imports only the standard library.
package wire
