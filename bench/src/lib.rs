//! The Switchboard load benchmark: a light fake upstream (`bench-upstream`) and the
//! orchestrator (`bench`) that starts it, the gateway and `oha` on pinned cores and reports
//! what each request costs. See `bench/README.md`.

pub mod fake;
pub mod http;
pub mod oha;
pub mod procfs;
pub mod report;
pub mod scale;
pub mod serve;
pub mod soak;
