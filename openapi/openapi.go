// Package openapi holds the OpenAPI 3 description of the jAccount open API,
// the single source of truth from which gen/ is generated and against which
// the fake server in jaccounttest is checked.
package openapi

import _ "embed"

// Spec is the text of jaccount.yaml, the OpenAPI 3.0 document of the jAccount
// open API at https://api.sjtu.edu.cn.
//
//go:embed jaccount.yaml
var Spec []byte
