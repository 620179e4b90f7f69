//go:build tools

// Package tools pins the Kubernetes control-plane commands that KWOK runs.
// k8s.io/kubernetes cannot be `go install`ed (it replaces its staging modules
// with ./staging), so this module requires it and replaces each staging
// module with its published version instead.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
