//! hearken: a social-listening stream processor for hospitals.
//!
//! The modules follow the data flow of shared/DESIGN.md:
//! [`connectors`] pull posts in, [`core`] scores them, [`pipeline`] joins the stages with
//! bounded channels, [`sinks`] store what matters, [`api`] shows it and [`webhook`] sends
//! case events to the hospital CRM. [`model`] holds the contracts every stage agrees on;
//! [`config`] the TOML that sets them up.

pub mod api;
pub mod cases;
pub mod cli;
pub mod config;
#[path = "../connectors/mod.rs"]
pub mod connectors;
pub mod core;
pub mod model;
pub mod pipeline;
pub mod roles;
pub mod sinks;
pub mod transport;
pub mod trends;
pub mod webhook;
