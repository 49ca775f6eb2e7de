// Package e2e holds black-box scenarios that run on the local control plane (make e2e).
// The tests carry the e2e build tag so that `go test ./...` stays a fast unit run.
package e2e
