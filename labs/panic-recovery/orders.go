// Keep this file as it is.
//
// It stands for the code a service depends on and does not control: a tenant middleware
// shared by every team, a billing library, a storage client. Each of them has a bug that
// panics on some input, as real code does. The lab is not about these three bugs (the next
// release will bring others); it is about what a panic may cost the whole process, and the
// checker relies on these bugs to trigger panics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Address is a billing address.
type Address struct {
	Street  string `json:"street"`
	City    string `json:"city"`
	Country string `json:"country"`
}

// Order is an order as the store keeps it.
type Order struct {
	ID       int      `json:"id"`
	Customer string   `json:"customer"`
	Email    string   `json:"email"`
	Billing  *Address `json:"billing"` // nil for guest checkouts (orders 41 to 50)
	Cents    int      `json:"total_cents"`
}

// orders holds orders 1 to 50. Orders 41 to 50 are guest checkouts: no billing address.
var orders = func() map[int]*Order {
	m := make(map[int]*Order, 50)
	for id := 1; id <= 50; id++ {
		o := &Order{ID: id, Customer: fmt.Sprintf("customer %d", id), Email: fmt.Sprintf("c%d@example.com", id), Cents: 1000 + 37*id}
		if id <= 40 {
			o.Billing = &Address{Street: fmt.Sprintf("%d Main Street", id), City: "Springfield", Country: "US"}
		}
		m[id] = o
	}
	return m
}()

// lookupOrder finds an order by the {id} of the URL.
func lookupOrder(id string) (*Order, bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil, false
	}
	o, ok := orders[n]
	return o, ok
}

// Invoice renders the invoice of an order. Billing's bug: it assumes that every order has
// a billing address, so a guest order (41 to 50) panics with a nil pointer dereference.
func Invoice(o *Order) string {
	return fmt.Sprintf("INVOICE %d\n%s\n%s, %s, %s\nTOTAL %d.%02d\n",
		o.ID, o.Customer, o.Billing.Street, o.Billing.City, o.Billing.Country, o.Cents/100, o.Cents%100)
}

// Tenant is the tenant a request belongs to.
type Tenant struct{ Name, Region string }

type tenantKey struct{}

// TenantFrom returns the tenant that the tenant middleware stored in the context.
func TenantFrom(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(Tenant)
	return t, ok
}

// tenantMiddleware reads "X-Tenant: <name>/<region>", set by the API gateway. The shared
// middleware's bug: a header without a "/" panics (index out of range [1] with length 1).
func tenantMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("X-Tenant"); h != "" {
			parts := strings.SplitN(h, "/", 2)
			t := Tenant{Name: parts[0], Region: parts[1]}
			r = r.WithContext(context.WithValue(r.Context(), tenantKey{}, t))
		}
		next.ServeHTTP(w, r)
	})
}

// AttachmentSize is the size of every order's attachment (a scanned delivery note).
const AttachmentSize = 64 << 10

// errStorageReset is what the storage client returns when its connection drops mid-read.
var errStorageReset = errors.New("storage: read tcp 10.0.3.7:48122->10.0.9.2:9000: read: connection reset by peer")

// openAttachment opens an order's attachment in the object storage. The attachment of
// order 13 sits on a failing storage node: its reads fail after 24 KiB.
func openAttachment(o *Order) io.ReadCloser {
	failAt := -1
	if o.ID == 13 {
		failAt = 24 << 10
	}
	return &attachment{id: o.ID, failAt: failAt}
}

type attachment struct {
	id, off, failAt int
}

// AttachmentByte is the byte at offset i of order id's attachment.
func AttachmentByte(id, i int) byte { return byte('a' + (id+i/64)%26) }

func (a *attachment) Read(p []byte) (int, error) {
	if a.failAt >= 0 && a.off >= a.failAt {
		return 0, errStorageReset
	}
	if a.off >= AttachmentSize {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && a.off < AttachmentSize && (a.failAt < 0 || a.off < a.failAt) {
		p[n] = AttachmentByte(a.id, a.off)
		n++
		a.off++
	}
	return n, nil
}

func (a *attachment) Close() error { return nil }
