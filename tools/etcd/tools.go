//go:build tools

// Package tools pins etcd 3.5 (Debian ships 3.4, whose watch-progress support
// is too old for Kubernetes 1.32's watch-list requests).
package tools

import _ "go.etcd.io/etcd/server/v3"
