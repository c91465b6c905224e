module example.com/halfopen

go 1.26
