//! The command line's clients of a running gateway's admin API (`switchboard agentcore ...`).
//! Kept out of the gateway's library: they speak HTTP to it like any other client.

pub mod agentcore;
