module example.com/graceful-shutdown

go 1.26
