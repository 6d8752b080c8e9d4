// Package roster holds Roster's domain: the types every part of the service
// speaks in, their validation, the Store interface and the Error type with
// its codes. It does no I/O. The policy that decides who may do what lives
// in package policy; the use cases that apply it live in internal/app.
package roster
