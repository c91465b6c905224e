module example.com/raw-conn-server

go 1.26
