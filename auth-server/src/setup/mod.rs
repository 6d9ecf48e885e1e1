//! Start-up and settings: the settings (`config`), the bootstrap file, and building
//! and running the application (`startup`).

pub mod bootstrap;
pub mod config;
pub mod startup;
