//! The scenario language (DESIGN.md §2): the same code validates in the browser
//! editor and on the server, so nothing here may depend on a server-only crate.

pub mod duration;
