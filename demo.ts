// Copyright the @pyst/asterisk authors. MIT license.
// Placeholder until the front-door issue lands the emulated-call demo.
console.log("@pyst/asterisk demo: coming with the front-door issue");
