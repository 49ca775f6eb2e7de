package commands

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"
)

// outputFlag adds -o json|yaml to a command that otherwise prints for people.
func outputFlag(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVarP(output, "output", "o", "", "json or yaml: the objects as the API server has them")
}

// printObject writes obj as JSON or YAML, with its apiVersion and kind set.
func (o *Options) printObject(obj runtime.Object, format string) error {
	gvk, err := apiutil.GVKForObject(obj, Scheme)
	if err != nil {
		return err
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	var data []byte
	switch format {
	case "json":
		data, err = json.MarshalIndent(obj, "", "  ")
		data = append(data, '\n')
	case "yaml":
		data, err = yaml.Marshal(obj)
	default:
		return fmt.Errorf("-o %s: use json or yaml, or no -o for the text view", format)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", gvk.Kind, err)
	}
	_, err = o.Streams.Out.Write(data)
	return err
}
