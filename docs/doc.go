// Package docs holds eiam's documentation (the Markdown files beside this
// one). It has no code of its own; its tests check that the documents say
// what is true: every code snippet a migration guide shows is, byte for
// byte, a region of an SDK compatibility test that CI runs, and every
// import file a guide shows imports.
package docs
