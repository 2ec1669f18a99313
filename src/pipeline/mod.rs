//! The pipeline runtime: source → core → sinks, joined by bounded channels.

pub mod dead_letter;
