module example.com/zerodowntime

go 1.26
