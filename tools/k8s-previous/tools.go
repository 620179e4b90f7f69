//go:build tools

// Package tools pins the Kubernetes minor before tools/k8s's: KWOK clusters are created at it
// when a test upgrades a control plane to the current minor (same staging-module replaces as
// tools/k8s).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
