package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// document is one YAML document of the input, parsed with its comments.
type document struct {
	number int // 1-based, counting the documents that are not empty
	node   *yaml.Node
}

// root is the document's top-level node: the object.
func (d *document) root() *yaml.Node { return d.node.Content[0] }

// readDocuments parses the ----separated documents of in. Empty documents (a leading or
// doubled ---) are skipped.
func readDocuments(in []byte) ([]*document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(in))
	var docs []*document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		if isEmpty(&n) {
			continue
		}
		d := &document{number: len(docs) + 1, node: &n}
		if d.root().Kind != yaml.MappingNode {
			return nil, fmt.Errorf("document %d (line %d): not a Kubernetes object: a YAML mapping is expected", d.number, d.root().Line)
		}
		if d.root().Style&yaml.FlowStyle != 0 {
			blockStyle(d.node) // JSON, as kubectl get -o json writes it
		}
		docs = append(docs, d)
	}
}

func isEmpty(n *yaml.Node) bool {
	return n.Kind != yaml.DocumentNode || len(n.Content) == 0 ||
		n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null"
}

// writeDocuments writes the documents ----separated, indented as kubectl does.
func writeDocuments(docs []*document) ([]byte, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	for _, d := range docs {
		if err := enc.Encode(d.node); err != nil {
			return nil, fmt.Errorf("document %d: %w", d.number, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
