// Command empty does nothing: it times process (or instance) start-up,
// including the Go runtime's own initialisation.
package main

func main() {}
