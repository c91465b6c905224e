module example.com/circuitbreaker

go 1.26
