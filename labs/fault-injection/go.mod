module example.com/faultinjection

go 1.26
