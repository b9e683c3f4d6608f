// Package wire holds the hand-written JSON code of the generated models in
// package gen, which only generated code and package api call: the types
// for values jAccount sends in more than one form (Birthday; the spec
// points at them with x-go-type), the encoding of models that keep the JSON
// they were decoded from (MarshalObject), the conversions behind the models'
// time methods (EpochMillis, Date, …), and Decoder, the one-pass decoder
// under the UnmarshalJSON methods that internal/apigen generates for every
// model (gen registers them with RegisterModels for package api).
//
// It is internal so that none of this is API to keep: users name the types
// through package api's aliases (api.Birthday, api.BirthdayParts,
// api.BirthdayFromMillis, …).
//
// The package imports only the standard library.
package wire
