module example.com/tlshandshake

go 1.26
