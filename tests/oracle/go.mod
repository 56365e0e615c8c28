module github.com/mwasm/mwasm/tests/oracle

go 1.26

require github.com/bytecodealliance/wasmtime-go/v39 v39.0.1
