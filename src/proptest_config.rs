//! The settings every property test shares.
//!
//! A plain `cargo test` runs each property on a few cases so the suite stays quick on two
//! cores. A long run sets proptest's own variable, which then wins over the per-property
//! count: `PROPTEST_CASES=10000 cargo test --bin berth prop_`.

use proptest::test_runner::Config;

/// `cases` cases, unless `PROPTEST_CASES` asks for another count.
pub fn cases(cases: u32) -> Config {
    // `Config::default()` reads PROPTEST_CASES and proptest's other variables.
    let mut config = Config::default();
    if !crate::host::var_is_set("PROPTEST_CASES") {
        config.cases = cases;
    }
    // A failure is kept as a named unit test next to the property, not in a regressions
    // file written into the source tree.
    config.failure_persistence = None;
    config
}
