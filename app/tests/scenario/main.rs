//! Integration tests of the scenario language: one binary, one module per concern.

/// Loading the seed files, the fixture catalog and the broken fixtures.
mod helpers;

/// The seed's scenarios and template parse, render and validate unchanged.
mod golden;

/// Each broken fixture yields exactly the diagnostics its header lists.
mod broken;

/// Parsing, rendering and validating never panic, whatever the input.
mod fuzz;

/// Properties of generated scenarios, templates and durations: no panic, bounded
/// memory, and a timeline drawn in bounded work (proptest; `make fuzz` runs more).
mod properties;

/// Counts each thread's allocations, for the properties' memory bounds.
mod peak;

#[global_allocator]
static ALLOCATOR: peak::Counting = peak::Counting;
