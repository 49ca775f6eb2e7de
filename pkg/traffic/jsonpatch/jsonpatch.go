// Package jsonpatch writes guarded RFC 6902 JSON patches to a user's objects: every patch
// first tests the resourceVersion the object was read at, and the routers add tests of the
// entries they change, so a concurrent edit fails the patch (422) instead of the operations
// landing on entries that moved.
package jsonpatch

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Op is one JSON patch operation. Value is marshalled with encoding/json.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Add sets path to v (add, not replace: it also creates a key that is absent).
func Add(path string, v any) Op { return Op{Op: "add", Path: path, Value: v} }

// Test fails the patch unless path holds v.
func Test(path string, v any) Op { return Op{Op: "test", Path: path, Value: v} }

// Remove removes path.
func Remove(path string) Op { return Op{Op: "remove", Path: path} }

// Guarded applies ops to obj (updating obj to the server's reply) after a test of the
// resourceVersion obj was read at. No ops, no request. kind names obj in errors.
func Guarded(ctx context.Context, c client.Client, kind string, obj client.Object, ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	ops = append([]Op{Test("/metadata/resourceVersion", obj.GetResourceVersion())}, ops...)
	data, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("encode patch of %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, data)); err != nil {
		return fmt.Errorf("patch %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
