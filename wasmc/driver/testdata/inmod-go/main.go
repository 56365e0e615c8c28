// Command inmod is an app inside the mwasm module: it imports one of its packages.
package main

import (
	"fmt"

	"github.com/mwasm/mwasm/abi"
)

func main() {
	fmt.Println("hello from", abi.Module)
}
