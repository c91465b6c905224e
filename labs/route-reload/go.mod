module example.com/stubd

go 1.26
