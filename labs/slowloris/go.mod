module example.com/slowloris

go 1.26
