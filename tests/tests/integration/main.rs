//! Integration tests of health-lib: a real tonic server on `127.0.0.1:0` and a real client.

mod checks;
mod codegen;
mod drain;
mod protocol;
mod support;
