package convert

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The output is the input's own YAML tree, edited: keys keep their order and comments stay
// where the author put them. These are the edits.

// child follows keys from n through nested mappings; nil when one is missing.
func child(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		i := keyIndex(n, k)
		if i < 0 {
			return nil
		}
		n = n.Content[i+1]
	}
	return n
}

// keyIndex is the index in m.Content of key k, -1 when m is not a mapping or lacks it.
func keyIndex(m *yaml.Node, k string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return i
		}
	}
	return -1
}

func hasKey(m *yaml.Node, k string) bool { return keyIndex(m, k) >= 0 }

// deleteKey removes k and its value from the mapping m.
func deleteKey(m *yaml.Node, k string) {
	if i := keyIndex(m, k); i >= 0 {
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
	}
}

// setKey sets k to v in the mapping m, in place when k is there, at the end otherwise.
func setKey(m *yaml.Node, k string, v *yaml.Node) {
	if i := keyIndex(m, k); i >= 0 {
		m.Content[i+1] = v
		return
	}
	m.Content = append(m.Content, scalar(k), v)
}

// scalarAt is the value of the scalar at keys, "" when there is none.
func scalarAt(n *yaml.Node, keys ...string) string {
	v := child(n, keys...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func intScalar(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

// mapping builds a mapping from keys and values in turn.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// fieldAt finds the key that a strict-decoding path such as spec.steps[2].experiment names: the
// mapping holding it and the key's index there. Map keys may themselves contain dots
// (annotation names), so each step matches the longest key the path continues with.
func fieldAt(n *yaml.Node, path string) (parent *yaml.Node, index int, ok bool) {
	for {
		switch n.Kind {
		case yaml.MappingNode:
			best := -1
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if strings.HasPrefix(path, k) && (len(path) == len(k) || path[len(k)] == '.' || path[len(k)] == '[') &&
					(best < 0 || len(k) > len(n.Content[best].Value)) {
					best = i
				}
			}
			if best < 0 {
				return nil, 0, false
			}
			rest := path[len(n.Content[best].Value):]
			if rest == "" {
				return n, best, true
			}
			n, path = n.Content[best+1], strings.TrimPrefix(rest, ".")
		case yaml.SequenceNode:
			end := strings.IndexByte(path, ']')
			if !strings.HasPrefix(path, "[") || end < 0 {
				return nil, 0, false
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, 0, false
			}
			n, path = n.Content[i], strings.TrimPrefix(path[end+1:], ".")
			if path == "" {
				return nil, 0, false
			}
		default:
			return nil, 0, false
		}
	}
}

// expandAliases spells out the YAML aliases (*base) and merge keys (<<: *base) under n in place,
// so that each field has a node of its own to drop and the JSON read from n has n's shape.
func expandAliases(n *yaml.Node) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			c = deepCopy(c.Alias)
			n.Content[i] = c
		}
		expandAliases(c)
	}
	n.Anchor = ""
	if n.Kind == yaml.MappingNode {
		expandMergeKeys(n)
	}
}

// expandMergeKeys replaces each <<: of the mapping m by the pairs of the mappings it merges that
// m does not set itself; of two merged mappings, the first wins.
func expandMergeKeys(m *yaml.Node) {
	set := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].ShortTag() != "!!merge" {
			set[m.Content[i].Value] = true
		}
	}
	var out []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.ShortTag() != "!!merge" {
			out = append(out, k, v)
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			for j := 0; j+1 < len(src.Content); j += 2 {
				if key := src.Content[j].Value; !set[key] {
					set[key] = true
					out = append(out, src.Content[j], src.Content[j+1])
				}
			}
		}
	}
	m.Content = out
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = deepCopy(x)
	}
	return &c
}

// yaml11Words are strings that YAML 1.1 parsers, kubectl's among them, read as booleans.
var yaml11Words = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
}

// blockStyle rewrites JSON-style (flow) YAML in block style, as a person would write it.
func blockStyle(n *yaml.Node) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && yaml11Words[strings.ToLower(n.Value)]:
		n.Style = yaml.DoubleQuotedStyle
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
