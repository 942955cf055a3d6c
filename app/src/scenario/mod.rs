//! The scenario language (DESIGN.md §2): the same code validates in the browser
//! editor and on the server, so nothing here may depend on a server-only crate.

pub mod catalog;
pub mod diagnostic;
pub mod document;
pub mod duration;
pub mod model;
pub mod parse;
pub mod plan;
pub mod structure;
pub mod template;
pub mod validate;
pub mod workload;
