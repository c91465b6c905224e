package main

// The starter's spreadLoad middleware set "Connection: close" on every API
// response. net/http honours that header (the connection is closed after the
// response), so every request cost the load balancer a new TCP connection and
// left a TIME_WAIT socket on this server. It is gone. To rebalance long-lived
// connections, close a connection after it has served for minutes, not after
// every response.
