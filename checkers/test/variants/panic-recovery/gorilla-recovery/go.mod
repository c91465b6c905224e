module example.com/panic-recovery

go 1.26

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/gorilla/handlers v1.5.2
)

require github.com/felixge/httpsnoop v1.0.3 // indirect
