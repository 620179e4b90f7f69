//go:build tools

// Package tools pins etcd 3.6, the series kwokctl v0.8 configures for
// Kubernetes 1.36 and later (Debian ships 3.4, whose watch-progress support is
// too old for Kubernetes' watch-list requests).
package tools

import _ "go.etcd.io/etcd/server/v3"
