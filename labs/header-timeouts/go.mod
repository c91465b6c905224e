module example.com/headertimeouts

go 1.26
