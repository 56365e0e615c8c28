// Package lib is not an app: the driver must refuse it.
package lib

func F() int { return 1 }
