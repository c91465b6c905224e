module example.com/loadshedding

go 1.26
