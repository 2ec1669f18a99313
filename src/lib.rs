//! hearken: a social-listening stream processor for hospitals.
//!
//! The modules follow the data flow of shared/DESIGN.md:
//! [`connectors`] pull posts in, [`core`] scores them, [`pipeline`] joins the stages with
//! bounded channels, [`sinks`] store what matters and [`api`] shows it. [`model`] holds
//! the contracts every stage agrees on; [`config`] the TOML that sets them up.

pub mod cli;
pub mod config;
pub mod core;
pub mod model;
pub mod pipeline;
