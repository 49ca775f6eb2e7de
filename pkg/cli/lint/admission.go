package lint

import (
	"context"
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1validation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/storage/names"
)

// admission is what the API server builds from a CRD to admit objects of one served version:
// the structural schema, its OpenAPI validator and its compiled CEL rules.
type admission struct {
	gvk        schema.GroupVersionKind
	plural     string
	namespaced bool
	status     bool // a status subresource: create ignores the object's status
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	rules      *cel.Validator // nil when the schema has no x-kubernetes-validations
}

// newAdmission builds what the API server builds for a CRD's version (customresource_handler.go).
func newAdmission(crd *apiextensionsv1.CustomResourceDefinition, version *apiextensionsv1.CustomResourceDefinitionVersion) (*admission, error) {
	if version.Schema == nil {
		return nil, fmt.Errorf("crd %s version %s has no schema", crd.Name, version.Name)
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(version.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("crd %s version %s: convert schema: %w", crd.Name, version.Name, err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("crd %s version %s: structural schema: %w", crd.Name, version.Name, err)
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("crd %s version %s: prune defaults: %w", crd.Name, version.Name, err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("crd %s version %s: schema validator: %w", crd.Name, version.Name, err)
	}
	return &admission{
		gvk:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind},
		plural:     crd.Spec.Names.Plural,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		status:     version.Subresources != nil && version.Subresources.Status != nil,
		structural: s,
		validator:  validator,
		rules:      cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// admit does to obj what the API server does on create, in its order: decoding drops the
// fields the schema does not know (returned as unknown, which strict field validation
// rejects) and applies the schema's defaults; then the object is validated: metadata, the
// OpenAPI schema, embedded objects, list types, and the CEL rules unless an error blocks
// them. obj is changed in place into the object as stored.
func (a *admission) admit(ctx context.Context, obj map[string]any) (unknown []string, errs field.ErrorList) {
	if a.status {
		delete(obj, "status")
	}
	meta, _, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return unknown, field.ErrorList{field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error())}
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(obj, a.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, a.structural)
	ferr, embedded := schemaobjectmeta.CoerceWithOptions(nil, obj, a.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	unknown = append(unknown, embedded...)
	if ferr != nil {
		return unknown, field.ErrorList{ferr}
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	a.placeAsCreated(meta)
	if err := schemaobjectmeta.SetObjectMeta(obj, meta); err != nil {
		return unknown, field.ErrorList{field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error())}
	}
	structuraldefaulting.Default(obj, a.structural)

	errs = append(errs, metav1validation.ValidateObjectMeta(meta, a.namespaced, metav1validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, a.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, a.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, a.structural, obj)...)
	if a.rules != nil {
		if blocked := blockingError(errs); blocked != nil {
			errs = append(errs, blocked)
		} else {
			ruleErrs, _ := a.rules.Validate(ctx, nil, a.structural, obj, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, ruleErrs...)
		}
	}
	return unknown, errs
}

// placeAsCreated fills in what a create request gives an object before validation: the
// namespace (kubectl's, "default" when the file has none; none for a cluster-scoped kind)
// and a name from generateName.
func (a *admission) placeAsCreated(meta *metav1.ObjectMeta) {
	switch {
	case !a.namespaced:
		meta.Namespace = ""
	case meta.Namespace == "":
		meta.Namespace = metav1.NamespaceDefault
	}
	if meta.Name == "" && meta.GenerateName != "" {
		meta.Name = names.SimpleNameGenerator.GenerateName(meta.GenerateName)
	}
}

// blockingError is the API server's error for CEL rules left unchecked: after an error of a
// type that may leave the object unfit for them (customresource/strategy.go hasBlockingErr).
func blockingError(errs field.ErrorList) *field.Error {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return nil
}
