//go:build !linux

package main

import "syscall"

// childAttrs is the default elsewhere: a benchmark killed outright may leave
// its servers running.
func childAttrs() *syscall.SysProcAttr { return nil }

// peakRSS is unknown elsewhere.
func peakRSS(int) int64 { return 0 }
