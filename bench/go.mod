module github.com/mwasm/mwasm/bench

go 1.26
