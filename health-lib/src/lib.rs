//! health-lib
mod generated;
pub mod pb;
