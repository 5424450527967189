//! Integration tests of health-lib live in `tests/integration/`; this crate has no library code.
