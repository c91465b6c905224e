module example.com/portexhaustion

go 1.26
