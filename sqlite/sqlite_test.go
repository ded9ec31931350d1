package sqlite_test

import (
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eiam.Store { return storetest.OpenSQLite(t) })
}

func BenchmarkUpdateUser(b *testing.B) {
	storetest.BenchUpdateUser(b, func(b *testing.B) eiam.Store { return storetest.OpenSQLite(b) })
}
