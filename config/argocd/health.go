// Package argocd holds the Argo CD health check of a ramp Rollout (rollout-health.lua) and
// runs it the way Argo CD does, with gopher-lua, for the tests.
package argocd

//go:generate go run gen_cm.go

import (
	_ "embed"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Script is rollout-health.lua.
//
//go:embed rollout-health.lua
var Script string

// Health runs the script on an object (as JSON decodes it) and returns the status and
// message it reports. As in Argo CD, the script gets the object as the global obj and only
// the base, table, string and math libraries.
func Health(obj map[string]any) (status, message string, err error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(Script); err != nil {
		return "", "", fmt.Errorf("health script: %w", err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("health script returned %s, not a table", L.Get(-1).Type())
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message")), nil
}

// toLua converts a JSON value as Argo CD does: objects and arrays to tables (arrays from 1),
// numbers to numbers, null to nil.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case map[string]any:
		t := L.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	default:
		return lua.LString(fmt.Sprint(v))
	}
}
