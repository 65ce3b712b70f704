module github.com/heapdiff/heapdiff/agent

go 1.25.0
