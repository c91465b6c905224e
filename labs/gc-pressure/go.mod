module example.com/gc-pressure

go 1.26
